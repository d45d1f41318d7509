using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.Node.Api;
using SmartShare.Node.Downloads;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Limits;

/// <summary><c>transfer_set_limits</c>: a stream's or torrent's own download and upload limits.</summary>
internal sealed class LimitRpcMethods(BandwidthLimits limits, TransferManager transfers) : IRpcMethodProvider
{
    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add(
            "transfer_set_limits",
            "Sets a transfer's own speed limits ({\"key\", \"sd_hash\" or \"info_hash\", \"download_rate\"?, \"upload_rate\"?}: KiB/s; null or 0 clears one, a missing one stays); the node's limits still apply on top. file_list shows them as download_limit and upload_limit.",
            SetLimits);
    }

    /// <summary>Adds a transfer's own limits (KiB/s, null for none) to its view.</summary>
    public static void AddTo(JsonObject view, TransferLimits own)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(own);
        view["download_limit"] = own.DownloadKibPerSecond;
        view["upload_limit"] = own.UploadKibPerSecond;
    }

    private Task<JsonNode?> SetLimits(RpcParams parameters, CancellationToken cancellationToken)
    {
        var key = FileRpcMethods.ReadKey(parameters, required: true)!.Value;
        if (transfers.Find(key) is null)
        {
            throw JsonRpcException.InvalidParams($"The node lists no transfer {key}.").WithKind("bad_input");
        }

        var current = limits.Get(key);
        var download = Read(parameters, "download_rate", current.DownloadKibPerSecond);
        var upload = Read(parameters, "upload_rate", current.UploadKibPerSecond);
        if (!Present(parameters, "download_rate") && !Present(parameters, "upload_rate"))
        {
            throw JsonRpcException.InvalidParams("Give 'download_rate' or 'upload_rate' (KiB/s; null or 0 for no limit of its own).").WithKind("bad_input");
        }

        var updated = new TransferLimits(download, upload);
        limits.Set(key, updated);
        var answer = new JsonObject { ["key"] = key.Hash };
        AddTo(answer, updated);
        answer["message"] = $"{Describe("Download", download)}; {Describe("upload", upload)}; in effect now.";
        return Task.FromResult<JsonNode?>(answer);
    }

    private static string Describe(string direction, int? rate) =>
        rate is { } kib ? $"{direction} limited to {kib} KiB/s" : $"{direction} limited only by the node's limit";

    private static bool Present(RpcParams parameters, string name) => parameters.Raw?.ContainsKey(name) == true;

    // Absent: unchanged. null or 0: none. Else a whole number of KiB/s.
    private static int? Read(RpcParams parameters, string name, int? current)
    {
        if (!Present(parameters, name))
        {
            return current;
        }

        var node = parameters.Raw![name];
        if (node is null)
        {
            return null;
        }

        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number || !value.TryGetValue<int>(out var rate) || rate < 0)
        {
            throw JsonRpcException.InvalidParams(
                $"The parameter '{name}' must be a whole number of KiB/s from 0 to {int.MaxValue} (0 or null: no limit of its own), not {Sentences.Shorten(node.ToJsonString(), 40)}.").WithKind("bad_input");
        }

        return rate == 0 ? null : rate;
    }
}
