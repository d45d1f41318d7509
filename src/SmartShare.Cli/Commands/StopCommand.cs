using System.CommandLine;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;

namespace SmartShare.Cli.Commands;

/// <summary><c>smartshare stop</c>: asks the running node to stop and waits until its API no longer answers.</summary>
internal static class StopCommand
{
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static Command Create()
    {
        var command = new Command("stop", "Stop the running node (it saves its DHT contacts first).");
        command.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            using var client = await context.ConnectAsync(cancellationToken);
            await client.CallAsync("stop", cancellationToken: cancellationToken);
            var api = client.ApiUri.GetLeftPart(UriPartial.Authority);
            context.Output.Detail($"Asked the node at {api} to stop; waiting until it has.");
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeLimit);
            try
            {
                while (await StillAnswersAsync(client, limit.Token))
                {
                    await Task.Delay(PollInterval, limit.Token);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new NodeApiException(0, $"The node at {api} was asked to stop but still answers after {TimeLimit.TotalSeconds:0} s; stop its process instead.");
            }

            context.Output.Succeed($"Stopped the node at {api}.", new JsonObject { ["stopped"] = true, ["api"] = api });
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>A node that is shutting down may drop a connection half-way; that counts as still stopping.</summary>
    private static async Task<bool> StillAnswersAsync(NodeApiClient client, CancellationToken cancellationToken)
    {
        try
        {
            return await client.IsRunningAsync(cancellationToken);
        }
        catch (NodeApiException)
        {
            return true;
        }
    }
}
