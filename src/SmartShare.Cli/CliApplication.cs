using System.CommandLine;
using SmartShare.Cli.Commands;
using SmartShare.Cli.Output;

namespace SmartShare.Cli;

/// <summary>The smartshare command: its command tree and how it runs.</summary>
internal static class CliApplication
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("SmartShare: share files on the LBRY data network and BitTorrent.");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(ShareCommand.Create());
        root.Subcommands.Add(GetCommand.Create());
        root.Subcommands.Add(BlobsCommand.Create());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.GetValue(GlobalOptions.Json))
        {
            var output = new CommandOutput(json: true, verbose: false);
            output.Fail(string.Join(" ", parse.Errors.Select(error => error.Message)), "usage");
            return ExitCodes.BadInput;
        }

        var exitCode = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        return parse.Errors.Count > 0 ? ExitCodes.BadInput : exitCode;
    }
}
