using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SmartShare.Node.Api;

/// <summary>
/// The API for a client in the node's own process (the CLI's one-off node): a JSON-RPC call to <c>/</c> or
/// <c>/api</c> is answered by the same <see cref="JsonRpcEndpoint.AnswerAsync"/> as over HTTP, with no socket, no
/// Kestrel and no HTTP parsing between them; any other request goes over the network to the node's API as usual.
/// The first call over loopback HTTP in a fresh process cost about 45 ms of cold client and server code, which a
/// one-off <c>get</c> paid before its first peer. Host, Origin and password checks are for callers beyond the
/// process: one inside it already holds the node.
/// </summary>
internal sealed class InProcessApiHandler(JsonRpcEndpoint endpoint, InProcessCalls calls, Uri apiUri) : DelegatingHandler(Client.NodeApiClient.NewSocketsHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsCall(request))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);

        // A cancelled call returns at once, as one over a socket does when its connection is dropped: the method sees
        // the same token cancelled and ends on its own (its answer, if any, goes nowhere), and the node's stop waits
        // for it (InProcessCalls) as Kestrel waits for a request. Waiting for it here instead let a share interrupted
        // by Ctrl-C finish and commit before the command could exit and stop the node.
        var answer = body.Length > JsonRpcEndpoint.MaxRequestBytes
            ? ((int)HttpStatusCode.RequestEntityTooLarge, JsonRpcEndpoint.TooLargeError(body.Length))
            : await calls.Track(endpoint.AnswerAsync(body, cancellationToken)).WaitAsync(cancellationToken).ConfigureAwait(false);

        // Null only when the call was cancelled, which is the caller's own token.
        var (status, response) = answer ?? throw new OperationCanceledException(cancellationToken);
        var written = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(written))
        {
            response.WriteTo(writer);
        }

        var content = new ReadOnlyMemoryContent(written.WrittenMemory);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return new HttpResponseMessage((HttpStatusCode)status) { Content = content, RequestMessage = request };
    }

    private bool IsCall(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post
        && request.RequestUri is { } uri
        && uri.IsAbsoluteUri
        && Uri.Compare(uri, apiUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
        && uri.AbsolutePath is "/" or "/api"
        && string.IsNullOrEmpty(uri.Query);
}
