if (args is ["finetune", ..]) return TypedGraph.Sample.FineTune.FineTuneDemo.Run(args[1..]);
Console.WriteLine("TypedGraph sample: the tutorial comes with the generator work.");
return 0;
