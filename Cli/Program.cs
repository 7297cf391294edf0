// Placeholder entry point; the commands (inspect, ckpt, run) are added by the formats and runtime work.
Console.Error.WriteLine("usage: typedgraph <inspect|ckpt|run> ...");
return 2;
