using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Settings;

/// <summary>The bt_transport setting: both by default, tcp or utp, anything else refused with a sentence.</summary>
public sealed class BtTransportSettingTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Bt_transport_is_both_by_default_takes_tcp_or_utp_and_needs_a_restart()
    {
        var store = NodeSettingsStore.Load(_directory.Path, environment: _ => null);
        Assert.Equal("both", store.Current.BtTransport);

        var change = store.Set(NodeSettingKeys.BtTransport, JsonValue.Create(" UTP "));

        // Saved in its normal form, in force from the next start.
        Assert.Equal("utp", change.Value!.GetValue<string>());
        Assert.True(change.RequiresRestart);
        Assert.Equal("both", store.Current.BtTransport);
        Assert.Equal("utp", NodeSettingsStore.Load(_directory.Path, environment: _ => null).Current.BtTransport);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("")]
    [InlineData("tcp,utp")]
    public void A_bad_bt_transport_is_refused_with_a_sentence_and_the_setting_kept(string value)
    {
        var store = NodeSettingsStore.Load(_directory.Path, environment: _ => null);
        store.Set(NodeSettingKeys.BtTransport, JsonValue.Create("tcp"));

        var error = Assert.Throws<NodeSettingsException>(() => store.Set(NodeSettingKeys.BtTransport, JsonValue.Create(value)));

        Assert.Contains("bt_transport", error.Message, StringComparison.Ordinal);
        Assert.Contains("must be both (uTP and TCP), tcp or utp", error.Message, StringComparison.Ordinal);
        Assert.Equal("tcp", NodeSettingsStore.Load(_directory.Path, environment: _ => null).Current.BtTransport);
    }

    [Fact]
    public void A_bad_bt_transport_flag_stops_the_load_with_a_sentence()
    {
        var error = Assert.Throws<NodeSettingsException>(() => NodeSettingsStore.Load(
            _directory.Path, new Dictionary<string, JsonNode?> { [NodeSettingKeys.BtTransport] = "quic" }, _ => null));

        Assert.Contains("bt_transport", error.Message, StringComparison.Ordinal);
        Assert.Contains("'quic'", error.Message, StringComparison.Ordinal);
    }
}
