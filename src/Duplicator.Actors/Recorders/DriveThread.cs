using System.Collections.Concurrent;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// The one thread that talks to a drive: blocking MMC commands (seconds to minutes each) run here, in order,
/// never on a dispatcher thread. Work items report back to the actor by Tell; they never touch actor state.
/// </summary>
internal sealed class DriveThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public DriveThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "drive " + name };
        _thread.Start();
    }

    public void Post(Action work)
    {
        if (!_work.IsAddingCompleted) _work.Add(work);
    }

    private void Run()
    {
        foreach (var work in _work.GetConsumingEnumerable())
            work(); // items catch their own failures and report them
    }

    /// <summary>Lets queued work finish, then the thread ends. A thread stuck in a hung command is abandoned (it is a background thread).</summary>
    public void Dispose() => _work.CompleteAdding();
}
