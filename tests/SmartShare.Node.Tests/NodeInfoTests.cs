namespace SmartShare.Node.Tests;

public sealed class NodeInfoTests
{
    [Fact]
    public void Default_api_listens_on_loopback_only()
    {
        Assert.StartsWith("http://127.0.0.1:", NodeInfo.DefaultApiUrl, StringComparison.Ordinal);
    }
}
