using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TypedGraph.Formats;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary>
/// <c>typedgraph serve</c> as users run it: the CLI started as its own process (<c>dotnet typedgraph.dll serve …</c>) on
/// a free port with the real TF 2.15 SavedModel <c>two_tower_savedmodel_tf2</c>, called over HTTP (status and a row
/// :predict compared with a direct Session run of the same signature), then stopped with SIGTERM as a container
/// runtime does: it must exit 0 and release the port.
/// </summary>
public partial class ServeProcessTests
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    private const int Sigterm = 15;

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task Serve_process_answers_predict_like_a_direct_Session_run_and_exits_0_on_SIGTERM()
    {
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "this test stops the server with a POSIX SIGTERM");
        var fixture = Fixtures.Path("two_tower_savedmodel_tf2");
        var cli = Path.Combine(AppContext.BaseDirectory, "typedgraph.dll");
        Assert.True(File.Exists(cli), $"{cli} not built next to the tests");
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { cli, "serve", fixture, "--name", "ranking", "--port", port.ToString(), "--poll-seconds", "0" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            // The CLI prints a "serving model …" line once the model is loaded and Kestrel listens (after the host's log lines).
            var seen = new StringBuilder();
            string? ready = null;
            var deadline = DateTime.UtcNow.AddSeconds(180);
            while (ready == null)
            {
                var line = await process.StandardOutput.ReadLineAsync().WaitAsync(deadline - DateTime.UtcNow);
                Assert.True(line != null, $"serve exited before it was ready: {seen}{stderr}");
                seen.AppendLine(line);
                if (line!.StartsWith("serving model", StringComparison.Ordinal)) ready = line;
            }
            Assert.Contains($"http://127.0.0.1:{port}/v1/models/ranking", ready);
            var rest = process.StandardOutput.ReadToEndAsync();

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            var status = JsonDocument.Parse(await http.GetStringAsync("v1/models/ranking")).RootElement;
            Assert.Equal("AVAILABLE", status.GetProperty("model_version_status")[0].GetProperty("state").GetString());

            string[] users, movies;
            float[] expected;
            using (var bundle = SavedModelBundle.Load(fixture, "serve"))
            {
                string[] Keys(string node) => TensorProtos.ToTensor(bundle.MetaGraph.Graph.GetNode(node).GetTensor("value")).Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();
                users = [Keys("Const_3")[7], Keys("Const_3")[300], "unknown-user"];
                movies = [Keys("Const_1")[0], Keys("Const_1")[900], Keys("Const_1")[12]];
                expected = bundle.Run(new Dictionary<string, Tensor>
                {
                    ["user_id"] = Tensor.FromStrings(users, 3),
                    ["movie_title"] = Tensor.FromStrings(movies, 3),
                })["output_1"].ToArray<float>();
            }
            var body = JsonSerializer.Serialize(new { instances = users.Zip(movies, (u, m) => new { user_id = u, movie_title = m }) });
            using var response = await http.PostAsync("v1/models/ranking:predict", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var predictions = JsonDocument.Parse(text).RootElement.GetProperty("predictions").EnumerateArray().Select(r => r[0].GetSingle()).ToArray();
            Assert.Equal(3, predictions.Length);
            for (int i = 0; i < 3; i++)
                Assert.True(Math.Abs(predictions[i] - expected[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"row {i}: REST {predictions[i]} vs Session {expected[i]}");

            Assert.Equal(0, SendSignal(process.Id, Sigterm));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; stderr: {stderr}");
            await rest;
            // The port is released: a new connection is refused.
            using var probe = new TcpClient();
            await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    // serve --json: stdout is exactly one line, one JSON object {serving, version, url}, whose url answers and whose
    // version is the one the server reports as AVAILABLE; the host's log lines go to stderr, not between them.
    [Fact]
    public async Task Serve_json_prints_one_ready_object_whose_fields_match_the_running_server_and_nothing_else_on_stdout()
    {
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "this test stops the server with a POSIX SIGTERM");
        var cli = Path.Combine(AppContext.BaseDirectory, "typedgraph.dll");
        Assert.True(File.Exists(cli), $"{cli} not built next to the tests");
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "serve", Fixtures.Path("two_tower_savedmodel_tf2"), "--name", "towers", "--port", port.ToString(), "--poll-seconds", "0", "--json" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(180));
            Assert.True(line != null, $"serve exited before it was ready: {stderr}");
            using var ready = JsonDocument.Parse(line!);
            var root = ready.RootElement;
            Assert.Equal(JsonValueKind.Object, root.ValueKind);
            Assert.Equal(["serving", "version", "url"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal("towers", root.GetProperty("serving").GetString());
            var url = root.GetProperty("url").GetString()!;
            Assert.Equal($"http://127.0.0.1:{port}/v1/models/towers", url);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var status = JsonDocument.Parse(await http.GetStringAsync(url)).RootElement.GetProperty("model_version_status");
            Assert.Equal(1, status.GetArrayLength());
            Assert.Equal("AVAILABLE", status[0].GetProperty("state").GetString());
            // TF Serving's status carries the version as a string; the ready object as a number.
            Assert.Equal(status[0].GetProperty("version").GetString(), root.GetProperty("version").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));

            Assert.Equal(0, SendSignal(process.Id, Sigterm));
            var rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; stderr: {stderr}");
            Assert.True(rest.Length == 0, $"stdout had more than the ready object: {rest}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    // A model that cannot load: the real process prints one line on stderr (the host's own log of the same failure is
    // not printed as well), or with --json one JSON object on stdout and nothing on stderr; exit 1 either way.
    [Fact]
    public async Task Serve_process_that_cannot_load_its_model_prints_one_line_or_one_json_object_and_exits_1()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "typedgraph.dll");
        var dir = Directory.CreateTempSubdirectory("tg-serve-bad").FullName;
        try
        {
            var model = Path.Combine(dir, "model.pb");
            File.WriteAllBytes(model, Enumerable.Range(0, 3000).Select(i => (byte)(i * 7919 % 251)).ToArray());
            foreach (bool json in new[] { false, true })
            {
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { cli, "serve", model, "--port", "0" }.Concat(json ? ["--json"] : Array.Empty<string>())) start.ArgumentList.Add(a);
                using var process = Process.Start(start)!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
                var (o, e) = (await stdout, await stderr);
                Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}; stdout: {o}; stderr: {e}");
                if (json)
                {
                    Assert.True(e.Length == 0, "stderr: " + e);
                    using var doc = JsonDocument.Parse(o);
                    Assert.Equal("serve", doc.RootElement.GetProperty("command").GetString());
                    Assert.Equal(1, doc.RootElement.GetProperty("exitCode").GetInt32());
                    Assert.Contains(model, doc.RootElement.GetProperty("error").GetString());
                }
                else
                {
                    Assert.True(o.Length == 0, "stdout: " + o);
                    var lines = e.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    Assert.True(lines.Length == 1, "stderr: " + e);
                    Assert.StartsWith("typedgraph serve: error: ", lines[0]);
                    Assert.Contains(model, lines[0]);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Serve_on_a_folder_without_a_model_fails_with_a_message_naming_it()
    {
        var empty = Directory.CreateTempSubdirectory("tg-serve-empty").FullName;
        try
        {
            var (code, _, err) = Run("serve", empty, "--port", "0");
            Assert.NotEqual(0, code);
            Assert.Contains(empty, err);
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }
}
