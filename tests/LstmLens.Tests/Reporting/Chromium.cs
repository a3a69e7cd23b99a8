using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LstmLens.Tests.Reporting;

/// <summary>A fact that needs headless Chromium; skipped, with the reason, where no chromium executable is installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Executable is null) Skip = "chromium is not installed (Debian package chromium; .ci/run installs it): the report is not opened in a browser";
    }
}

/// <summary>
/// Headless Chromium driven over the DevTools protocol (its WebSocket, no other dependency): opens a page, records every
/// network request and every console error or uncaught exception, evaluates JavaScript, takes a screenshot and prints to PDF.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly ConcurrentQueue<(string Method, JsonNode Params)> _events = new();
    private readonly Task _reader;
    private int _nextId;

    /// <summary>The chromium executable: CHROMIUM, else the Debian and usual names on the PATH; null where there is none.</summary>
    public static string? Executable { get; } = Find();

    private Chromium(Process process, string profile, Uri page)
    {
        (_process, _profile) = (process, profile);
        _socket.ConnectAsync(page, CancellationToken.None).GetAwaiter().GetResult();
        _reader = Task.Run(Read);
    }

    public static async Task<Chromium> Start()
    {
        string profile = Path.Combine(Path.GetTempPath(), "lstmlens-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(Executable!)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank" },
        };
        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? line;
        while ((line = await process.StandardError.ReadLineAsync()) is not null && !line.Contains("DevTools listening on ", StringComparison.Ordinal))
            if (DateTime.UtcNow > deadline) break;
        if (line is null || !line.Contains("ws://", StringComparison.Ordinal)) throw new InvalidOperationException("chromium did not open its DevTools port");
        _ = process.StandardError.ReadToEndAsync();
        var browser = new Uri(line[line.IndexOf("ws://", StringComparison.Ordinal)..].Trim());
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{browser.Port}/json/list")))!.AsArray();
        string page = targets.First(t => (string?)t!["type"] == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        return new Chromium(process, profile, new Uri(page));
    }

    /// <summary>Every event so far, in order.</summary>
    public IReadOnlyList<(string Method, JsonNode Params)> Events => [.. _events];

    public async Task<JsonNode> Send(string method, object? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = done;
        byte[] message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        var reply = await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        if (reply["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        return reply["result"]!;
    }

    /// <summary>Opens <paramref name="url"/> with requests, console and log recorded, and waits for its load event.</summary>
    public async Task Open(string url)
    {
        foreach (string domain in new[] { "Page", "Network", "Runtime", "Log" }) await Send($"{domain}.enable");
        await Send("Page.navigate", new { url });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!_events.Any(e => e.Method == "Page.loadEventFired"))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{url} did not finish loading");
            await Task.Delay(50);
        }
        await Task.Delay(300); // late console messages
    }

    /// <summary>The value of a JavaScript expression (JSON-serialisable).</summary>
    public async Task<JsonNode?> Evaluate(string expression)
    {
        var result = await Send("Runtime.evaluate", new { expression, returnByValue = true });
        if (result["exceptionDetails"] is { } e) throw new InvalidOperationException($"{expression}: {e.ToJsonString()}");
        return result["result"]!["value"];
    }

    /// <summary>A PNG of the page's top, <paramref name="width"/> CSS pixels wide and at most <paramref name="maxHeight"/> tall.</summary>
    public async Task<byte[]> Screenshot(int width, int maxHeight)
    {
        await Send("Emulation.setDeviceMetricsOverride", new { width, height = 900, deviceScaleFactor = 1, mobile = false });
        int height = Math.Min(maxHeight, (int)(await Evaluate("document.documentElement.scrollHeight"))!.GetValue<double>());
        var shot = await Send("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true, clip = new { x = 0, y = 0, width, height, scale = 1 } });
        return Convert.FromBase64String(shot["data"]!.GetValue<string>());
    }

    /// <summary>The page printed to PDF (A4), as the print style sheet lays it out.</summary>
    public async Task<byte[]> PrintToPdf()
    {
        var pdf = await Send("Page.printToPDF", new { paperWidth = 8.27, paperHeight = 11.69, printBackground = false });
        return Convert.FromBase64String(pdf["data"]!.GetValue<string>());
    }

    private async Task Read()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var node = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length))!;
                message.SetLength(0);
                if (node["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var waiting)) waiting.SetResult(node);
                else if (node["method"] is { } method) _events.Enqueue((method.GetValue<string>(), node["params"] ?? new JsonObject()));
            }
        }
        catch (WebSocketException)
        {
            // the browser went away; pending sends time out
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _reader;
        _socket.Dispose();
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } configured && File.Exists(configured)) return configured;
        foreach (string name in new[] { "chromium", "chromium-browser", "google-chrome" })
            foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                if (File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        return null;
    }
}
