using System.Text.Json.Nodes;
using SmartShare.Node.Api;
using SmartShare.Node.Downloads;
using SmartShare.Node.Limits;
using SmartShare.Node.Torrents;
using SmartShare.Node.Transfers;
using SmartShare.Node.Transfers.Queueing;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// A request body as the JSON-RPC API (<c>POST /</c>, the CLI's and the web UI's) reads it:
/// <see cref="JsonRpcCall.Parse"/>, what the endpoint dispatches on, and then every parameter through the readers the
/// methods use (<see cref="RpcParams"/> as each kind, and the parameter parsers: base64 file content, queue moves,
/// speed schedules, peer address lists, file selections). Only the typed refusals may escape a step:
/// <c>JsonRpcRefusal</c> and <see cref="JsonRpcException"/> (the answer's error), and the
/// <see cref="FormatException"/> the parameter parsers promise and the methods turn into -32602.
/// </summary>
public static class JsonRpcTarget
{
    public static void Run(byte[] input)
    {
        JsonRpcCall call;
        try
        {
            call = JsonRpcCall.Parse(input);
        }
        catch (JsonRpcRefusal)
        {
            return;
        }

        var parameters = new RpcParams(call.Params);
        foreach (var name in call.Params?.Select(pair => pair.Key).ToList() ?? [])
        {
            Refusable(() => parameters.GetNode(name));
            Refusable(() => parameters.GetOptionalString(name));
            Refusable(() => parameters.GetInt32(name, 0));
            Refusable(() => parameters.GetInt32(name, 0, 0, 100));
            Refusable(() => parameters.GetBoolean(name, defaultValue: false));
            Refusable(() => parameters.GetBlobHash(name));
            Refusable(() => QueueMove.Parse(call.Params![name]));
            Refusable(() => FileSelectionRequest.Read(call.Params![name], name));
            if (call.Params![name] is JsonValue value && value.TryGetValue<string>(out var text))
            {
                Refusable(() => IncomingFile.Decode(text, name));
                Refusable(() => SpeedSchedule.Parse(text));
                Refusable(() => EndPointList.Parse(text));
                Refusable(() => FileSelectionRequest.Parse(text, name));
                Refusable(() => TransferKey.TryParse(text, out _));
            }
        }
    }

    private static void Refusable(Func<object?> step)
    {
        try
        {
            _ = step();
        }
        catch (JsonRpcException)
        {
        }
        catch (FormatException)
        {
        }
    }
}
