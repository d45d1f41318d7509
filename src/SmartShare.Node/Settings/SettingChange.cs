using System.Text.Json.Nodes;

namespace SmartShare.Node.Settings;

/// <summary>What <see cref="NodeSettingsStore.Set"/> did: the value written and whether it takes effect now.</summary>
/// <param name="OverriddenBy">An environment variable or flag that will still win over the file at the next start.</param>
public sealed record SettingChange(string Key, JsonNode? Value, bool RequiresRestart, string? OverriddenBy);
