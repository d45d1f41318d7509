using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Node.Settings;

/// <summary>
/// The settings of one data directory. Loading layers defaults &lt; <c>settings.json</c> &lt; <c>SMARTSHARE_*</c>
/// environment variables &lt; command-line flags; <see cref="Set"/> checks a value and rewrites the file atomically.
/// </summary>
public sealed class NodeSettingsStore
{
    public const string FileName = "settings.json";

    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true };

    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _sources;

    private NodeSettingsStore(string dataDirectory, NodeSettings current, Dictionary<string, string> sources)
    {
        DataDirectory = dataDirectory;
        Current = current;
        _sources = sources;
    }

    public string DataDirectory { get; }

    public string FilePath => Path.Combine(DataDirectory, FileName);

    /// <summary>The settings in effect. Settings that need a restart keep their loaded value until then.</summary>
    public NodeSettings Current { get; private set; }

    /// <summary>Where each key's value came from: "default", the file, an environment variable or "the command line".</summary>
    public string SourceOf(string key)
    {
        lock (_lock)
        {
            return _sources.GetValueOrDefault(key, "default");
        }
    }

    /// <summary>
    /// Loads the settings of <paramref name="dataDirectory"/>. <paramref name="commandLine"/> maps keys to values
    /// given as flags; <paramref name="environment"/> reads variables (the process's by default).
    /// </summary>
    /// <exception cref="NodeSettingsException">A value is wrong; the message names its source and key.</exception>
    public static NodeSettingsStore Load(
        string dataDirectory,
        IReadOnlyDictionary<string, JsonNode?>? commandLine = null,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        environment ??= Environment.GetEnvironmentVariable;
        var root = Path.GetFullPath(dataDirectory);
        var settings = new NodeSettings();
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.Combine(root, FileName);

        foreach (var (key, value) in ReadFile(file))
        {
            var definition = SettingDefinition.Find(key)
                ?? throw new NodeSettingsException($"{file}: '{key}' is not a setting; the settings are {SettingDefinition.KnownKeys}.");
            settings = Apply(definition, settings, value, file);
            sources[key] = file;
        }

        foreach (var definition in SettingDefinition.All)
        {
            var variable = NodeSettingKeys.EnvironmentVariable(definition.Key);
            var text = environment(variable);
            if (text is not null)
            {
                var source = $"the environment variable {variable}";
                settings = Apply(definition, settings, definition.FromText(text), source);
                sources[definition.Key] = source;
            }
        }

        foreach (var (key, value) in commandLine ?? new Dictionary<string, JsonNode?>())
        {
            var definition = SettingDefinition.Find(key) ?? throw new ArgumentException($"'{key}' is not a setting.", nameof(commandLine));
            settings = Apply(definition, settings, value, "the command line");
            sources[key] = "the command line";
        }

        return new NodeSettingsStore(root, settings, sources);
    }

    /// <summary>Every setting's effective value, keyed by name.</summary>
    public JsonObject ToJson()
    {
        var current = Current;
        var result = new JsonObject();
        foreach (var definition in SettingDefinition.All)
        {
            var value = definition.Read(current);
            result[definition.Key] = definition.IsSecret
                ? (value is JsonValue text && text.TryGetValue<string>(out var secret) && secret.Length > 0 ? "(set)" : string.Empty)
                : value;
        }

        return result;
    }

    /// <summary>
    /// Checks <paramref name="value"/> for <paramref name="key"/> and writes it to <c>settings.json</c> (temp file,
    /// then rename, so a crash never leaves half a file). Settings that need no restart take effect at once.
    /// </summary>
    /// <exception cref="NodeSettingsException">Unknown key or unusable value, as a sentence.</exception>
    public SettingChange Set(string key, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var definition = SettingDefinition.Find(key)
            ?? throw new NodeSettingsException($"'{key}' is not a setting; the settings are {SettingDefinition.KnownKeys}.");
        lock (_lock)
        {
            var updated = Apply(definition, Current, value?.DeepClone(), "settings_set");
            if (updated.ApiPasswordHash.Length == 0 && !SettingDefinition.IsLoopbackApi(updated.Api))
            {
                throw new NodeSettingsException(
                    $"settings_set: api {updated.Api} listens beyond this machine, so the API needs a password (api_password_hash) first: "
                    + "set one with `smartshare password set`, and move the API back to 127.0.0.1 before clearing it.");
            }
            var normalized = definition.Read(updated);
            var file = ReadFileObject(FilePath);
            file[key] = normalized?.DeepClone();
            WriteAtomically(FilePath, file);

            var source = _sources.GetValueOrDefault(key);
            var overriddenBy = source is not null && source != FilePath ? source : null;
            if (!definition.RequiresRestart && overriddenBy is null)
            {
                Current = updated;
            }

            if (overriddenBy is null)
            {
                _sources[key] = FilePath;
            }

            return new SettingChange(key, normalized, definition.RequiresRestart, overriddenBy);
        }
    }

    private static NodeSettings Apply(SettingDefinition definition, NodeSettings settings, JsonNode? value, string source)
    {
        try
        {
            return definition.Apply(settings, value);
        }
        catch (FormatException ex)
        {
            throw new NodeSettingsException($"{source}: {definition.Key} {ex.Message}.", ex);
        }
    }

    private static JsonObject ReadFile(string path) => File.Exists(path) ? ReadFileObject(path) : [];

    private static JsonObject ReadFileObject(string path)
    {
        string text;
        try
        {
            if (!File.Exists(path))
            {
                return [];
            }

            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeSettingsException($"Cannot read {path}: {ex.Message}", ex);
        }

        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new NodeSettingsException($"{path} must hold one JSON object such as {{\"port\": 4444}}.");
        }
        catch (JsonException ex)
        {
            throw new NodeSettingsException($"{path} is not valid JSON (line {ex.LineNumber + 1}): fix or delete it.", ex);
        }
    }

    private static void WriteAtomically(string path, JsonObject content)
    {
        var temporary = path + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(content.ToJsonString(WriteOptions) + "\n"));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeSettingsException($"Cannot write {path}: {ex.Message}", ex);
        }
    }
}
