using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Runner.Torch;

/// <summary>
/// Finds librunner_torch.so: $RUNNER_NATIVE_LIB when set, else next to the assembly (the build
/// copies it there). .NET does not probe project-local native folders on its own. On first load
/// it sets libtorch's and OpenBLAS's thread counts to $RUNNER_THREADS or the core count
/// (libtorch's own default here is half the cores).
/// </summary>
internal static partial class NativeLibraryLoader
{
    internal const string FileName = "librunner_torch.so";

    // The binding is the only user of the shim, so registering at module load is the advanced case CA2255 allows.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    /// <summary>Where the shim is looked for, in order.</summary>
    internal static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("RUNNER_NATIVE_LIB") is { Length: > 0 } env) yield return env;
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
        var here = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(here)) yield return Path.Combine(here, FileName);
    }

    /// <summary>The path the shim was loaded from, once loaded.</summary>
    internal static string? LoadedFrom { get; private set; }

    private static readonly Lock s_gate = new();
    private static IntPtr s_handle;

    // The runtime calls the resolver whenever it binds a P/Invoke it has not bound yet, not once:
    // load and initialize once, or a later first call would reset the thread count set since.
    internal static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        lock (s_gate)
        {
            if (s_handle == IntPtr.Zero) s_handle = Load();
            return s_handle;
        }
    }

    private static IntPtr Load()
    {
        // OpenMP's idle workers spin and steal the core OpenBLAS needs (2-core machines ran up to
        // 60x slower). libgomp reads OMP_WAIT_POLICY once, when it loads with the shim, and .NET's
        // Environment.SetEnvironmentVariable does not reach native getenv: set it in libc's
        // environment first, unless the user chose a policy.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")) && OperatingSystem.IsLinux())
            _ = LibC.setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            if (!File.Exists(candidate))
            {
                tried.Add($"{candidate} (not found)");
                continue;
            }
            try
            {
                var handle = NativeLibrary.Load(candidate);
                LoadedFrom = candidate;
                Initialize(handle);
                return handle;
            }
            catch (DllNotFoundException e)
            {
                // Typically libtorch itself is missing: dlerror names the library.
                throw new DllNotFoundException(
                    $"cannot load {candidate}: {e.Message}. Install libtorch (Debian: apt-get install libtorch-dev libopenblas0-pthread) or run ./runner once to bootstrap.", e);
            }
        }
        throw new DllNotFoundException(
            $"{FileName} not found; tried: {string.Join("; ", tried)}. Build it with ./runner (or dotnet build), or set RUNNER_NATIVE_LIB to its path.");
    }

    private static unsafe void Initialize(IntPtr handle)
    {
        var threads = Environment.ProcessorCount;
        if (int.TryParse(Environment.GetEnvironmentVariable("RUNNER_THREADS"), out var t) && t > 0) threads = t;
        var set = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(handle, "rt_set_num_threads");
        set(threads);
    }

    private static partial class LibC
    {
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int setenv(string name, string value, int overwrite);
    }
}
