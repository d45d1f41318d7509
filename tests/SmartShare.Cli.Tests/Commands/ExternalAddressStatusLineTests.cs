namespace SmartShare.Cli.Tests.Commands;

/// <summary>The status line for the external address, from the node's <c>external_address</c> section.</summary>
public sealed class ExternalAddressStatusLineTests
{
    [Fact]
    public void Status_prints_each_known_address_with_its_sources_votes_and_time()
    {
        var status = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse("""
            {"version": "1.0", "external_address": {
              "address": "11.77.0.2",
              "ipv4": {"address": "11.77.0.2", "sources": ["gateway", "mainline_dht"], "votes": 3, "learned_at": "2026-12-05T10:00:00.0000000+00:00"},
              "ipv6": {"address": "2a00:1450::5", "sources": ["peer_handshake"], "votes": 2, "learned_at": "2026-12-05T10:05:00.0000000+00:00"},
              "voters": 4}}
            """)!;

        var text = SmartShare.Cli.Commands.StatusCommand.Describe(status);

        Assert.Contains(
            "External:   11.77.0.2 (gateway, mainline_dht: 3 vote(s), since 2026-12-05 10:00 UTC); IPv6 2a00:1450::5 (peer_handshake: 2 vote(s), since 2026-12-05 10:05 UTC)",
            text,
            StringComparison.Ordinal);
    }
}
