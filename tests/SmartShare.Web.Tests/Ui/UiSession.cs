using Microsoft.Playwright;

namespace SmartShare.Web.Tests.Ui;

/// <summary>
/// One browser tab on a node's web UI, collecting every console error and uncaught page error so a test can assert
/// there were none.
/// </summary>
public sealed class UiSession : IAsyncDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly List<string> _errors = [];

    private UiSession(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add($"console: {message.Text} ({message.Location})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add($"page error: {error}");
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public static float Ms(TimeSpan span) => (float)span.TotalMilliseconds;

    /// <summary>A fresh context (its own cookies and storage); <paramref name="prepare"/> may add routes before the page loads.</summary>
    public static async Task<UiSession> OpenAsync(BrowserFixture browser, string origin, BrowserNewContextOptions? options = null, Func<IBrowserContext, Task>? prepare = null, bool navigate = true)
    {
        var context = await browser.Browser.NewContextAsync(options ?? new BrowserNewContextOptions());
        context.SetDefaultTimeout(Ms(Limit));
        if (prepare is not null)
        {
            await prepare(context);
        }

        var page = await context.NewPageAsync();
        var session = new UiSession(context, page);
        if (navigate)
        {
            await page.GotoAsync(origin + "/");
            await page.Locator(".table").WaitForAsync();
        }

        return session;
    }

    /// <summary>The row of a transfer in the list.</summary>
    public ILocator Row(string key) => Page.Locator($".transfer-row[data-key='{key}']");

    public Task WaitAsync(string expression, object? arg = null) =>
        Page.WaitForFunctionAsync(expression, arg, new PageWaitForFunctionOptions { Timeout = Ms(Limit), PollingInterval = 100 });

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
