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

    /// <summary>A client for the node's API that --api (or the data directory's node file, or the settings) names.</summary>
    public NodeApiClient CreateApiClient(TimeSpan? timeout = null)
    {
        var api = GlobalOptions.ResolveApiUri(Parse, DataDirectory);
        return new(api, timeout: timeout, authorization: NodeApiCredentials.For(DataDirectory, api));
    }

    /// <summary>
    /// A client for the node of this command's data directory, checked: a node found through the data directory's
    /// node file is that directory's; a node at a loopback --api that reports another data directory than the one
    /// given explicitly is refused (bad input); a node at the settings' address that reports another data directory is
    /// not this directory's node, so this throws <see cref="NodeNotRunningException"/> as if none answered (a
    /// `stop --data-dir B` never stops node A). When nothing answers, the client is returned unchecked.
    /// </summary>
    public async Task<NodeApiClient> ConnectAsync(CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        (await ProbeAsync(cancellationToken, timeout)).Client;

    /// <summary>
    /// <see cref="ConnectAsync"/>, also saying what it learned on the way: that nothing listens (one refused connect),
    /// that this directory's node answered its <c>status</c>, or neither (a node file's or a remote address is not
    /// probed), so a caller need not ask again.
    /// </summary>
    public async Task<(NodeApiClient Client, NodeProbe Probe)> ProbeAsync(CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var (api, source) = GlobalOptions.ResolveApi(Parse, DataDirectory);
        var client = new NodeApiClient(api, timeout: timeout, authorization: NodeApiCredentials.For(DataDirectory, api));
        // A node on another machine has paths of its own: the data directory given here only holds its credentials.
        if (source == ApiSource.NodeFile || (source == ApiSource.Flag && (!GlobalOptions.IsDataDirectoryExplicit(Parse) || !IsThisMachine(api))))
        {
            return (client, NodeProbe.Unchecked);
        }

        try
        {
            if (!await client.MayBeListeningAsync(cancellationToken))
            {
                return (client, NodeProbe.Refused);
            }

            var status = await client.CallAsync("status", cancellationToken: cancellationToken);
            var reported = status?["data_dir"]?.GetValue<string>();
            if (reported is not null && !SameDirectory(reported, DataDirectory))
            {
                var authority = api.GetLeftPart(UriPartial.Authority);
                throw source == ApiSource.Flag
                    ? new FormatException(
                        $"The node at {authority} runs on data directory {reported}, not {DataDirectory}: drop --api to reach the node of {DataDirectory}, or drop --data-dir to use the node at {authority}.")
                    : new NodeNotRunningException(
                        $"No SmartShare node is running on data directory {DataDirectory} (the node at {authority} runs on {reported}); start one with `smartshare start --data-dir {DataDirectory}`.");
            }

            return (client, NodeProbe.Answered);
        }
        catch (NodeNotRunningException ex) when (ex.ApiUri is not null)
        {
            return (client, NodeProbe.Unchecked);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static bool IsThisMachine(Uri api) =>
        api.IsLoopback || (System.Net.IPAddress.TryParse(api.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    private static bool SameDirectory(string a, string b) =>
        string.Equals(
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)),
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

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
        StorageException => DiskErrors.CausedByFullDisk(exception, out _) ? "disk_full" : "storage",
        IOException or UnauthorizedAccessException => "io",
        _ => null,
    };
}

/// <summary>What <see cref="CommandContext.ProbeAsync"/> learned of the node at the API address.</summary>
internal enum NodeProbe
{
    /// <summary>Not asked, or no answer either way: the next call decides.</summary>
    Unchecked,

    /// <summary>The port on this machine refused the connection: no node listens.</summary>
    Refused,

    /// <summary>This data directory's node answered <c>status</c>.</summary>
    Answered,
}
