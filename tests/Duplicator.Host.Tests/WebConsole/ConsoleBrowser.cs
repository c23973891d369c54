using Microsoft.Playwright;

namespace Duplicator.Host.Tests.WebConsole;

/// <summary>
/// Playwright driving Debian's chromium (<see cref="ChromiumPath"/>, installed by scripts/install-deps.sh); no browser
/// is ever downloaded. Screenshots go to DUP_CONSOLE_SCREENSHOTS when it is set (docs/ is made so), else to a temp folder.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotDir { get; } = Environment.GetEnvironmentVariable("DUP_CONSOLE_SCREENSHOTS") is { Length: > 0 } d
        ? Directory.CreateDirectory(d).FullName
        : Directory.CreateTempSubdirectory("dup-console-shots-").FullName;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: scripts/install-deps.sh installs Debian's chromium (apt-get install chromium)");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ["--disable-gpu", "--disable-dev-shm-usage"] });
    }

    public async Task<IPage> PageAsync(int width = 1400, int height = 900, bool phone = false)
    {
        var context = await Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height },
            DeviceScaleFactor = phone ? 2 : 1,
            IsMobile = phone,
            HasTouch = phone,
        });
        context.SetDefaultTimeout(120_000); // a loaded machine: waits are for conditions, the bound only catches a hang
        return await context.NewPageAsync();
    }

    public static Task ShotAsync(IPage page, string name, bool fullPage = false) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, name), FullPage = fullPage });

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}
