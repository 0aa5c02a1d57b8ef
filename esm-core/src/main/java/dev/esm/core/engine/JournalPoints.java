package dev.esm.core.engine;

import dev.esm.core.plan.Step;
import java.util.List;

/**
 * Where in a plan the journal is written: which steps are recorded by a write of their own, and the runs of file steps
 * (one per disk) that run at once and are recorded at their end. The executor writes by it and a recovery reads a
 * journal by it. Pure and stateless.
 */
final class JournalPoints {
    private JournalPoints() {
    }

    /**
     * Whether step {@code i} is recorded as done with a later write instead of its own. Over libvirt's storage API
     * every journal write is a call to the host that syncs the domain's definition to its disk, so a plan writes
     * where a stop would otherwise be recovered wrongly, not after every step. Recovery repeats the first unrecorded
     * step and everything after it, so a step may go unrecorded when repeating it after later steps ran is harmless:
     * <ul>
     * <li>in a run of overlay creations (one per disk), all but the last: a creation is exclusive and found made when
     * repeated, and recovery undoes the whole run when it undoes ({@link #inOverlayRun}); such runs, and runs of file
     * removals anywhere in a plan (a removal of a removed file does nothing), run at once ({@link #runEnd}) and are
     * recorded at their end;
     * <li>a tail of steps that only set things to what the plan says: the definition (once), libvirt's current
     * snapshot, file removals, and a last start or restore from a memory file (each does nothing when repeated on a
     * domain that runs). Recovery completes such a tail (a definition is past the point of no return for recovery;
     * the steps before it are recorded);
     * <li>a live merge, a snapshot's images rewritten and a file removed, when from there only such steps lead to
     * a snapshot's metadata removal ({@link #untilRemoval}): the removal's journal write (the children's definitions
     * saved) records them as done, as a write records every step before the one running. Each is harmless to repeat
     * after the later ones ran: a live merge finds its top out of the disk's chain or removed and does nothing (as
     * for {@link ParallelMerges#together}), a rewrite sets the images the plan says, a removal of a removed file
     * does nothing. In a live delete of a middle snapshot this leaves two writes (the start and the saved
     * children) instead of five.
     * </ul>
     * The last step is never recorded: the journal is removed next.
     *
     * @param all a plan's steps
     * @param i the index of a step
     * @return whether no journal write follows step {@code i}
     */
    static boolean recordedLater(List<Step> all, int i) {
        if (i >= all.size() - 1 || inOverlayRun(all, i) || untilRemoval(all, i)) {
            return true;
        }
        int defines = 0;
        for (Step s : all.subList(i, all.size())) {
            if (s instanceof Step.DefineDomain) {
                defines++;
            } else if (!(s instanceof Step.SetCurrent || s instanceof Step.RemoveFile
                    || s instanceof Step.RestoreMemory || s instanceof Step.StartDomain)) {
                return false;
            }
        }
        return defines <= 1;
    }

    /**
     * @param all a plan's steps
     * @param i the index of a step
     * @return whether step {@code i} is a live merge, a rewrite of a snapshot's images or a file removal, and only
     *         rewrites and file removals follow it up to a snapshot's metadata removal
     */
    static boolean untilRemoval(List<Step> all, int i) {
        Step first = all.get(i);
        if (!(first instanceof Step.Merge m && m.live() || repeatable(first))) {
            return false;
        }
        for (Step s : all.subList(i + 1, all.size())) {
            if (s instanceof Step.RemoveSnapshot) {
                return true;
            }
            if (!repeatable(s)) {
                return false;
            }
        }
        return false;
    }

    /** A step that leaves the same whenever it runs again, also after later steps of its plan ran. */
    private static boolean repeatable(Step s) {
        return s instanceof Step.RewriteSnapshotImages || s instanceof Step.RemoveFile;
    }

    /**
     * @param all a plan's steps
     * @param i the index of a step
     * @return whether step {@code i} and the next one both create an overlay: the run is recorded at its end, and a
     *         recovery that undoes treats the rest of a run as possibly done
     */
    static boolean inOverlayRun(List<Step> all, int i) {
        return i < all.size() && all.get(i) instanceof Step.CreateOverlay && runEnd(all, i) > i;
    }

    /**
     * @return the last index of the run of overlay creations, of pulls (one per disk), or of file removals, that
     *         starts at {@code i} (steps that touch one disk's files each and may run at once), or {@code i} when none
     *         starts there
     */
    static int runEnd(List<Step> all, int i) {
        Step first = all.get(i);
        if (!(first instanceof Step.CreateOverlay || first instanceof Step.RemoveFile || first instanceof Step.Pull)) {
            return i;
        }
        int end = i;
        while (end + 1 < all.size() && all.get(end + 1).getClass() == first.getClass()) {
            end++;
        }
        return end;
    }

    /**
     * @return the indexes of the merges that follow one another from {@code first} (each followed by its disk's
     *         steps), then the index after the last of those steps: more than one merge run as one batch
     *         ({@link ParallelMerges}), recorded with the batch or step by step there
     */
    static List<Integer> mergesFrom(List<Step> steps, int first) {
        List<Integer> out = new java.util.ArrayList<>();
        int j = first;
        while (j < steps.size() && steps.get(j) instanceof Step.Merge) {
            out.add(j++);
            while (j < steps.size() && !(steps.get(j) instanceof Step.Merge)
                    && !(steps.get(j) instanceof Step.RemoveSnapshot)) {
                j++;
            }
        }
        out.add(j); // the end, exclusive
        return out;
    }
}
