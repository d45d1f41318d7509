using SmartShare.Node.Limits;
using SmartShare.Node.Remote;
using SmartShare.Node.Settings;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// A request body as the Transmission RPC endpoint (<c>/transmission/rpc</c>) reads it, past the session-id
/// handshake: <see cref="TransmissionRequest.Parse"/>, what the endpoint dispatches on, and then the readers the
/// methods apply to the arguments before they touch a transfer (<c>ids</c>, <c>fields</c>, the file selection keys,
/// session-set's and torrent-set's speed keys, and every argument read as each kind). Only the endpoint's typed
/// refusals may escape a step: <c>TransmissionFailure</c> (the sentence in the answer's <c>result</c>) and
/// <see cref="NodeSettingsException"/>; anything else would be an "Internal error" answer instead of a sentence.
/// </summary>
public static class TransmissionRpcTarget
{
    private static readonly NodeSettings Defaults = new();

    public static void Run(byte[] input)
    {
        TransmissionRequest request;
        try
        {
            request = TransmissionRequest.Parse(input);
        }
        catch (TransmissionFailure)
        {
            return;
        }

        var arguments = request.Arguments;
        Refusable(() => TransmissionTorrents.ReadIds(arguments));
        Refusable(() => arguments.Strings("fields"));
        Refusable(() => TransmissionFileSelection.Read(arguments));
        Refusable(() => TransmissionLimits.SessionChanges(arguments, Defaults));
        Refusable(() => TransmissionLimits.TorrentChange(arguments, TransferLimits.None));
        foreach (var key in arguments.Keys.ToList())
        {
            Refusable(() => arguments.String(key));
            Refusable(() => arguments.Boolean(key));
            Refusable(() => arguments.Integer(key, long.MinValue, long.MaxValue));
            Refusable(() => arguments.Integer(key, 0, int.MaxValue));
            Refusable(() => arguments.Strings(key));
            Refusable(() => arguments.HasEntries(key));
        }
    }

    private static void Refusable(Func<object?> step)
    {
        try
        {
            _ = step();
        }
        catch (TransmissionFailure)
        {
        }
        catch (NodeSettingsException)
        {
        }
    }
}
