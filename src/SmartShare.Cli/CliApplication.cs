using System.CommandLine;
using System.Runtime.InteropServices;
using SmartShare.Cli.Commands;
using SmartShare.Cli.Output;

namespace SmartShare.Cli;

/// <summary>The smartshare command: its command tree and how it runs.</summary>
internal static class CliApplication
{
    public static async Task<int> RunAsync(string[] args)
    {
        StartupPrewarm.Begin(args);
        var root = new RootCommand("SmartShare: share files on the LBRY data network and BitTorrent.");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(ShareCommand.Create());
        root.Subcommands.Add(GetCommand.Create());
        root.Subcommands.Add(BlobsCommand.Create());
        root.Subcommands.Add(StartCommand.Create());
        root.Subcommands.Add(PeersCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(TransferCommands.Pause());
        root.Subcommands.Add(TransferCommands.Resume());
        root.Subcommands.Add(TransferCommands.Remove());
        root.Subcommands.Add(TransferCommands.Files());
        root.Subcommands.Add(QueueCommands.Queue());
        root.Subcommands.Add(QueueCommands.Goals());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(LimitsCommand.Create());
        root.Subcommands.Add(StopCommand.Create());
        root.Subcommands.Add(PasswordCommand.Create());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !AsksForHelp(parse))
        {
            var command = string.Join(' ', ["smartshare", .. CommandPath(parse.CommandResult.Command)]);
            var output = new CommandOutput(parse.GetValue(GlobalOptions.Json), verbose: false);
            output.Fail($"{string.Join(" ", parse.Errors.Select(error => error.Message))} Run '{command} --help' for usage.", "usage");
            return ExitCodes.BadInput;
        }

        // The first Ctrl-C or SIGTERM cancels the command, which then removes anything incomplete and exits
        // with 130; a second one ends the process at once.
        using var interrupted = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => Interrupt(signal, interrupted));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => Interrupt(signal, interrupted));
        return await parse.InvokeAsync(
            new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
            interrupted.Token);
    }

    private static void Interrupt(PosixSignalContext signal, CancellationTokenSource interrupted)
    {
        if (interrupted.IsCancellationRequested)
        {
            return;
        }

        signal.Cancel = true;
        interrupted.Cancel();
    }

    private static bool AsksForHelp(ParseResult parse) =>
        parse.Tokens.Any(token => token.Value is "--help" or "-h" or "-?");

    private static List<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null and not RootCommand; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }

        return names;
    }
}
