using System.Reflection;
using System.Runtime.Loader;

namespace Runner.Hooks.FSharp;

/// <summary>
/// A collectible context for one compiled script: everything else (Runner, FSharp.Core, the
/// framework) resolves from the default context, so the script shares the host's types.
/// </summary>
internal sealed class ScriptLoadContext(string name) : AssemblyLoadContext(name, isCollectible: true)
{
    protected override Assembly? Load(AssemblyName assemblyName) => null;
}
