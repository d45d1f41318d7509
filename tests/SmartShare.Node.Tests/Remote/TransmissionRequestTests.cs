using System.Text;
using SmartShare.Node.Remote;

namespace SmartShare.Node.Tests.Remote;

/// <summary>How a Transmission RPC body is read before dispatch (<see cref="TransmissionRequest.Parse"/>).</summary>
public sealed class TransmissionRequestTests
{
    [Fact]
    public void A_request_gives_its_method_arguments_and_numeric_tag()
    {
        var request = TransmissionRequest.Parse("""{"method":"torrent-get","arguments":{"fields":["id"],"ids":[1]},"tag":7}"""u8.ToArray());

        Assert.Equal("torrent-get", request.Method);
        Assert.Equal(["id"], request.Arguments.Strings("fields"));
        Assert.Equal(7, request.Tag!.GetValue<int>());
    }

    [Theory]
    // Found by the transmission-rpc fuzz target (fuzz/crashes): a byte that is not UTF-8 inside an argument's string
    // passed the JSON parser and threw InvalidOperationException when the method read the string (an "Internal error"
    // answer); inside the method name it escaped the endpoint (a 500 with no sentence).
    [InlineData("7b226d6574686f64223a22746464222c22617267756d656e7473223a7b2266696d65223a226d616739222c226864223a747275652c22646f6972223a22ff916d708078222c2266696c65732d756e77616e746564223a5b302c325d2c227072696f726974792d68696768223a5b315d2c2273657175656e7469616c446f776e6c6f6164223a317d7d")]
    [InlineData("7b226d6574686f64223a22746f7272656e742dff676574222c22746167223a317d")]
    public void Bytes_that_are_not_utf8_are_refused_as_not_json(string hex)
    {
        var body = Convert.FromHexString(hex);

        var refusal = Assert.Throws<TransmissionFailure>(() => TransmissionRequest.Parse(body));

        Assert.Contains("not JSON", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"method":5,"tag":3}""", "no method name", 3)]
    [InlineData("""{"method":"session-get","arguments":[],"tag":4}""", "'arguments' must be an object.", 4)]
    [InlineData("[1,2]", "one JSON object", null)]
    public void A_malformed_call_is_refused_with_its_tag_when_one_was_read(string body, string sentence, int? tag)
    {
        var refusal = Assert.Throws<TransmissionFailure>(() => TransmissionRequest.Parse(Encoding.UTF8.GetBytes(body)));

        Assert.Contains(sentence, refusal.Message, StringComparison.Ordinal);
        Assert.Equal(tag, refusal.Tag?.GetValue<int>());
    }
}
