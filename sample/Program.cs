Console.WriteLine("TypedGraph sample: the tutorial comes with the generator work.");
