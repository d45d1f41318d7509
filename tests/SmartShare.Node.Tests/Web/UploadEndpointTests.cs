using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Web;

namespace SmartShare.Node.Tests.Web;

/// <summary>POST /upload against a real node: files kept whole under free names, nothing kept from a cut upload.</summary>
public sealed class UploadEndpointTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task An_upload_is_kept_whole_under_a_free_name_and_can_be_shared()
    {
        await using var node = await TestNode.StartAsync(_directory.File("data"));
        var content = File.ReadAllBytes(TransferNode.WriteRandomFile(_directory.File("source"), 3 * 1024 * 1024 + 17, seed: 5));

        var first = await UploadAsync(node, "holiday film.mp4", content);
        var second = await UploadAsync(node, "holiday film.mp4", content);

        var uploads = Path.Combine(node.DataDirectory, "uploads");
        Assert.Equal(Path.Combine(uploads, "holiday film.mp4"), first["path"]!.GetValue<string>());
        Assert.Equal(Path.Combine(uploads, "holiday film (1).mp4"), second["path"]!.GetValue<string>());
        Assert.Equal(content.Length, first["size"]!.GetValue<long>());
        Assert.Equal(content, File.ReadAllBytes(first["path"]!.GetValue<string>()));
        Assert.Equal(["holiday film (1).mp4", "holiday film.mp4"], Directory.GetFiles(uploads).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var shared = (JsonObject)(await node.CallAsync("stream_create", new JsonObject { ["file_path"] = first["path"]!.GetValue<string>() }))!;
        Assert.Equal("holiday film.mp4", shared["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("C:\\Users\\me\\notes.txt", "notes.txt")]
    [InlineData("bell\u0007.txt", "bell.txt")]
    [InlineData("trailing dots...", "trailing dots")]
    public async Task A_name_from_the_browser_stays_inside_the_uploads_folder(string name, string stored)
    {
        await using var node = await TestNode.StartAsync(_directory.File("data"));

        var answer = await UploadAsync(node, name, [1, 2, 3]);

        Assert.Equal(Path.Combine(node.DataDirectory, "uploads", stored), answer["path"]!.GetValue<string>());
    }

    [Fact]
    public void A_long_name_is_cut_to_fit_keeping_its_extension()
    {
        var name = UploadEndpoint.SafeName(new string('é', 300) + ".mkv")!;

        Assert.EndsWith(".mkv", name, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(name) <= 200);
        Assert.Null(UploadEndpoint.SafeName("../"));
        Assert.Null(UploadEndpoint.SafeName(" . "));
        Assert.Null(UploadEndpoint.SafeName(".upload-0123.partial"));
    }

    [Fact]
    public async Task An_upload_without_its_type_or_name_or_from_another_site_is_refused()
    {
        await using var node = await TestNode.StartAsync(_directory.File("data"));

        using var noType = await node.SendAsync(node.Request(HttpMethod.Post, "/upload?name=a.txt", "data", "text/plain"));
        using var noName = await node.SendAsync(Upload(node, "/upload", [1]));
        var foreignRequest = Upload(node, "/upload?name=a.txt", [1]);
        foreignRequest.Headers.Add("Origin", "http://attacker.test");
        using var foreign = await node.SendAsync(foreignRequest);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, noType.StatusCode);
        Assert.Contains("application/octet-stream", await noType.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noName.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(node.DataDirectory, "uploads")) && Directory.EnumerateFileSystemEntries(Path.Combine(node.DataDirectory, "uploads")).Any());
    }

    [Fact]
    public async Task A_cut_upload_leaves_nothing_behind()
    {
        await using var node = await TestNode.StartAsync(_directory.File("data"));
        var uploads = Path.Combine(node.DataDirectory, "uploads");

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, node.Host.ApiUri.Port);
            var stream = client.GetStream();
            var head = $"POST /upload?name=cut.bin HTTP/1.1\r\nHost: 127.0.0.1:{node.Host.ApiUri.Port}\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(new byte[100_000]);
            await stream.FlushAsync();
            await WaitUntilAsync(() => Directory.Exists(uploads) && Directory.EnumerateFiles(uploads).Any());
        }

        await WaitUntilAsync(() => !Directory.EnumerateFiles(uploads).Any());
        var after = await UploadAsync(node, "cut.bin", [9]);
        Assert.Equal(Path.Combine(uploads, "cut.bin"), after["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task What_a_killed_node_left_mid_upload_or_mid_add_is_deleted_at_start_and_finished_uploads_stay()
    {
        var data = _directory.File("data");
        var uploads = Directory.CreateDirectory(Path.Combine(data, "uploads")).FullName;
        var incoming = Directory.CreateDirectory(Path.Combine(data, "incoming")).FullName;
        File.WriteAllBytes(Path.Combine(uploads, ".upload-0123456789abcdef.partial"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(uploads, "finished.bin"), [4, 5, 6]);
        File.WriteAllBytes(Path.Combine(incoming, "0123456789abcdef.torrent"), [7]);
        File.WriteAllBytes(Path.Combine(incoming, "fedcba9876543210.smartshare"), [8]);

        await using var node = await TestNode.StartAsync(data);

        Assert.Equal(["finished.bin"], Directory.GetFiles(uploads).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(incoming));
    }

    private static HttpRequestMessage Upload(TestNode node, string path, byte[] content)
    {
        var request = node.Request(HttpMethod.Post, path);
        request.Content = new ByteArrayContent(content);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return request;
    }

    private static async Task<JsonObject> UploadAsync(TestNode node, string name, byte[] content)
    {
        using var response = await node.SendAsync(Upload(node, "/upload?name=" + Uri.EscapeDataString(name), content));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return (JsonObject)JsonNode.Parse(text)!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
