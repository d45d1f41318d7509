using System.CommandLine;
using SmartShare.Cli.Output;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Api;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Storage;

namespace SmartShare.Cli.Commands;

/// <summary>
/// What every command's action gets: its output, the data directory, a client for the node's API. It also
/// turns the errors a user can act on into one sentence and an exit code, never a stack trace.
/// </summary>
internal sealed class CommandContext
{
    private CommandContext(ParseResult parse)
    {
        Parse = parse;
        Output = new CommandOutput(parse.GetValue(GlobalOptions.Json), parse.GetValue(GlobalOptions.Verbose));
        DataDirectory = GlobalOptions.ResolveDataDirectory(parse);
    }

    public ParseResult Parse { get; }

    public CommandOutput Output { get; }

    public string DataDirectory { get; }

    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<CommandContext, CancellationToken, Task<int>> body) =>
        async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse);
            try
            {
                return await body(context, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                context.Output.Fail("Cancelled; nothing incomplete was kept.", "cancelled");
                return ExitCodes.Cancelled;
            }
            catch (NodeSettingsException ex)
            {
                context.Output.Fail(ex.Message, "bad_input", ex);
                return ExitCodes.BadInput;
            }
            catch (FormatException ex)
            {
                context.Output.Fail(ex.Message, "bad_input", ex);
                return ExitCodes.BadInput;
            }
            catch (NodeApiException ex) when (ex.Code == JsonRpcErrorCodes.InvalidParams || ex.Kind == "bad_input")
            {
                // The node found the input wrong (a missing file, a folder, a .torrent that does not parse, a bad
                // --advertise): exit 2 as if we had, whether the node runs elsewhere or in this process.
                context.Output.Fail(ex.Message, ex.Kind ?? "bad_input", ex);
                return ExitCodes.BadInput;
            }
            catch (Exception ex) when (Kind(ex) is { } kind)
            {
                context.Output.Fail(ex.Message, kind, ex);
                return ExitCodes.Failure;
            }
            catch (Exception ex)
            {
                context.Output.Fail(
                    $"Unexpected error: {ex.Message}" + (context.Output.IsVerbose ? string.Empty : " (run with --verbose for details)"),
                    "internal",
                    ex);
                return ExitCodes.Failure;
            }
        };

    /// <summary>A client for the node's API that --api (or the settings) names.</summary>
    public NodeApiClient CreateApiClient(TimeSpan? timeout = null)
    {
        var api = GlobalOptions.ResolveApiUri(Parse, DataDirectory);
        return new(api, timeout: timeout, authorization: NodeApiCredentials.For(DataDirectory, api));
    }

    private static string? Kind(Exception exception) => exception switch
    {
        NodeNotRunningException => "not_running",
        NodeApiException api => api.Kind ?? "api",
        NodeStartException => "node_start",
        StreamSourceException => "bad_source",
        InvalidStreamDescriptorException => "invalid_descriptor",
        BlobNotFoundException => "missing_blob",
        CorruptBlobException => "corrupt_blob",
        Lbry.Downloads.StreamDownloadException => "download_failed",
        LbryDataException => "bad_data",
        StorageException => DiskErrors.IsDiskFull(exception.InnerException ?? exception) ? "disk_full" : "storage",
        IOException or UnauthorizedAccessException => "io",
        _ => null,
    };
}
