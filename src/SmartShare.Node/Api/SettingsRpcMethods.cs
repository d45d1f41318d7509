using System.Text.Json.Nodes;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Api;

/// <summary><c>settings_get</c> and <c>settings_set</c>.</summary>
internal sealed class SettingsRpcMethods(NodeSettingsStore settings) : IRpcMethodProvider
{
    public void Register(JsonRpcMethods methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        methods.Add("settings_get", "Every setting's value in effect.", (RpcParams _, CancellationToken _) => Task.FromResult<JsonNode?>(settings.ToJson()));
        methods.Add("settings_set", "Sets one setting ({\"key\", \"value\"}) in settings.json and says whether it needs a restart.", (RpcParams parameters, CancellationToken _) =>
        {
            var key = parameters.GetString("key");
            var value = parameters.GetNode("value");
            SettingChange change;
            try
            {
                change = settings.Set(key, value);
            }
            catch (NodeSettingsException ex)
            {
                throw JsonRpcException.InvalidParams(ex.Message);
            }

            var message = change.OverriddenBy is not null
                ? $"Saved {key} in {settings.FilePath}, but {change.OverriddenBy} sets it too and wins at start."
                : change.RequiresRestart
                    ? $"Saved {key}; it takes effect when the node restarts."
                    : $"Saved {key}; in effect now.";
            return Task.FromResult<JsonNode?>(new JsonObject
            {
                ["key"] = change.Key,
                ["value"] = change.Value?.DeepClone(),
                ["restart_required"] = change.RequiresRestart,
                ["overridden_by"] = change.OverriddenBy,
                ["message"] = message,
            });
        });
    }
}
