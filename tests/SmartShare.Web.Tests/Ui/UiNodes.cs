using System.Text.Json.Nodes;

namespace SmartShare.Web.Tests.Ui;

/// <summary>What the UI tests need from a node: files to share and the transfers it lists.</summary>
internal static class UiNodes
{
    /// <summary>A file of <paramref name="length"/> pseudo-random bytes under the test's folder.</summary>
    public static string MakeFile(WebNode node, string name, int length, int seed = 1)
    {
        var path = Path.Combine(node.Root, name);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static async Task<JsonObject> ShareAsync(WebNode node, string path, bool torrent = false, string? smartsharePath = null)
    {
        var parameters = new JsonObject { ["file_path"] = path, ["torrent"] = torrent };
        if (smartsharePath is not null)
        {
            parameters["smartshare_path"] = smartsharePath;
        }

        return (JsonObject)(await node.Client.CallAsync("stream_create", parameters))!;
    }

    public static async Task<JsonObject?> TransferAsync(WebNode node, string key)
    {
        var list = (JsonObject)(await node.Client.CallAsync("file_list", new JsonObject { ["key"] = key }))!;
        return list["items"]!.AsArray().FirstOrDefault() as JsonObject;
    }
}
