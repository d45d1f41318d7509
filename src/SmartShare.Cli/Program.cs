using SmartShare.Cli;

return await CliApplication.RunAsync(args);
