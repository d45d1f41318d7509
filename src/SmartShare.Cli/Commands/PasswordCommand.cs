using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Cli.Commands;

/// <summary>
/// <c>smartshare password set|clear</c>: the API password. Only its salted hash is stored (the
/// <c>api_password_hash</c> setting): through the running node when one answers (in effect at once), else in the
/// data directory's settings.json.
/// </summary>
internal static class PasswordCommand
{
    public static Command Create()
    {
        var command = new Command("password", "Set or clear the API password (needed before the API may listen beyond 127.0.0.1).");
        var set = new Command("set", "Set the API password: typed twice at the prompt, or one line on stdin.");
        set.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var password = ReadNewPassword();
            if (password.Length < ApiPassword.MinLength)
            {
                throw new FormatException($"An API password needs at least {ApiPassword.MinLength} characters.");
            }

            var where = await SaveAsync(context, ApiPassword.Hash(password), cancellationToken);
            context.Output.Succeed(
                $"API password set ({where}). Browsers log in at the API's address; scripts send it as HTTP Basic (curl -u :PASSWORD); the smartshare command on another machine reads {NodeApiCredentials.PasswordVariable}.",
                new JsonObject { ["password_set"] = true, ["saved"] = where });
            return ExitCodes.Success;
        }));
        var clear = new Command("clear", "Remove the API password (refused while the API listens beyond 127.0.0.1).");
        clear.SetAction(CommandContext.Action(async (context, cancellationToken) =>
        {
            var where = await SaveAsync(context, string.Empty, cancellationToken);
            context.Output.Succeed($"API password removed ({where}).", new JsonObject { ["password_set"] = false, ["saved"] = where });
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(set);
        command.Subcommands.Add(clear);
        return command;
    }

    private static async Task<string> SaveAsync(CommandContext context, string hash, CancellationToken cancellationToken)
    {
        try
        {
            using var client = await context.ConnectAsync(cancellationToken);
            await client.CallAsync(
                "settings_set",
                new JsonObject { ["key"] = NodeSettingKeys.ApiPasswordHash, ["value"] = hash },
                cancellationToken);
            return $"the node at {client.ApiUri.GetLeftPart(UriPartial.Authority)}, in effect now";
        }
        catch (NodeNotRunningException)
        {
            var store = NodeSettingsStore.Load(context.DataDirectory);
            store.Set(NodeSettingKeys.ApiPasswordHash, JsonValue.Create(hash));
            return $"in {store.FilePath}, for the next start";
        }
        catch (NodeApiException ex) when (ex.Code == Node.Api.JsonRpcErrorCodes.InvalidParams)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    private static string ReadNewPassword()
    {
        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine()?.TrimEnd('\r') ?? throw new FormatException("No password on stdin: give it as one line.");
        }

        var first = Prompt("New API password: ");
        var second = Prompt("Again: ");
        return first == second ? first : throw new FormatException("The two passwords differ; nothing was changed.");
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
