using Microsoft.Playwright;

namespace SmartShare.Web.Tests;

/// <summary>
/// One headless Debian Chromium for the test class, driven by Playwright (which never downloads a browser here).
/// The name <see cref="RebindHost"/> resolves to 127.0.0.1 inside this browser only: what a DNS-rebinding
/// attacker's name does once its record is switched to the victim's loopback.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string RebindHost = "rebind.attacker.test";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium package (scripts/test does).");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-default-apps",
                $"--host-resolver-rules=MAP {RebindHost} 127.0.0.1",

                // Chromium's own guard for pages reaching local addresses (Local/Private Network Access) is off, as in
                // Firefox and Safari: what is tested is that the node refuses on its own.
                "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
