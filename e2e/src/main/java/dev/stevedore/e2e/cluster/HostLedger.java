package dev.stevedore.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the local cluster changed on this host, written down as it happens, so that {@link #undoAll()} can
 * put everything back: after a clean stop, after a failed test, and at the next start after a crash of the
 * JVM that ran the cluster. Everything lives under one fixed work directory, which is how a later run finds
 * an earlier run's leftovers.
 *
 * <p>Processes are stopped by the process ids recorded here (checked against their start time, so a
 * recycled id is never killed), containers through runc's own state, mounts and network namespaces by
 * what appeared under our paths, cgroups by the one root the kubelet was given, and kernel settings by
 * the values saved before the kubelet changed them.
 */
final class HostLedger {

    /** The cgroup under which the kubelet puts every pod (its {@code cgroupRoot}), in each hierarchy. */
    static final String CGROUP_ROOT = "stevedore-e2e";
    /** The bridge of the pod network. */
    static final String BRIDGE = "stv0";

    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");
    private static final Path NETNS = Path.of("/run/netns");
    private static final Path POD_LOG_LINKS = Path.of("/var/log/containers");
    private static final Path CNI_RESULTS = Path.of("/var/lib/cni/results");
    /** Places the kubelet writes to whatever its flags say; removed afterwards only if they were not there before. */
    private static final List<Path> FIXED_KUBELET_PATHS = List.of(Path.of("/var/lib/kubelet"), POD_LOG_LINKS);

    private final Path workDir;
    private final Path ledger;

    HostLedger(Path workDir) {
        this.workDir = workDir;
        this.ledger = workDir.resolve("ledger");
    }

    Path workDir() {
        return workDir;
    }

    void open() {
        try {
            Files.createDirectories(ledger);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + ledger, e);
        }
    }

    /** Records a process we started, under a name that orders the stop (see {@link #undoAll()}). */
    void recordProcess(String name, long pid) {
        write("pid-" + name, pid + " " + startTime(pid).orElse("?"));
    }

    /** Records a directory made outside the work directory, to be deleted once the processes are gone. */
    void recordDirectory(String name, Path directory) {
        write("dir-" + name, directory.toAbsolutePath().toString());
    }

    /** Saves a kernel setting's value before something we start changes it. Only the first value counts. */
    void saveSysctl(String key) {
        Path file = ledger.resolve("sysctl-" + key);
        if (Files.exists(file)) {
            return;
        }
        Path proc = sysctlPath(key);
        if (Files.isReadable(proc)) {
            write("sysctl-" + key, read(proc).strip());
        }
    }

    /**
     * Notes what exists before we start, so that only what we add is removed: the network namespaces, and
     * which of the kubelet's fixed directories are absent.
     */
    void recordHostBefore() {
        if (!Files.exists(ledger.resolve("netns-before"))) {
            write("netns-before", String.join("\n", list(NETNS).stream().map(p -> p.getFileName().toString()).toList()));
        }
        if (!Files.exists(ledger.resolve("absent-before"))) {
            write("absent-before", String.join("\n", FIXED_KUBELET_PATHS.stream().filter(p -> !Files.exists(p)).map(Path::toString).toList()));
        }
    }

    /**
     * Undoes everything: containers, processes, mounts, network namespaces, cgroups, the bridge, kernel
     * settings, stray files, and finally the work directory. Each step goes on after a failure of another;
     * what could not be undone is returned, one line each.
     */
    List<String> undoAll() {
        List<String> problems = new ArrayList<>();
        if (!Files.isDirectory(workDir)) {
            return problems;
        }
        // A frozen process (a test's lost node) cannot die until it is thawed.
        step(problems, "frozen cgroups", this::thawFrozenCgroups);
        step(problems, "containers", this::deleteContainers);
        step(problems, "processes", this::killRecordedProcesses);
        step(problems, "shims", this::killShims);
        step(problems, "directories", this::deleteRecordedDirectories);
        step(problems, "network namespaces", this::removeNewNetworkNamespaces);
        step(problems, "mounts", this::unmountUnderWorkDir);
        step(problems, "cgroups", this::removeCgroups);
        step(problems, "bridge", () -> run(List.of("ip", "link", "delete", BRIDGE), true));
        step(problems, "kernel settings", this::restoreSysctls);
        step(problems, "stray files", this::removeStrayFiles);
        if (problems.isEmpty()) {
            step(problems, "work directory", () -> deleteTree(workDir));
        }
        return problems;
    }

    private void thawFrozenCgroups() {
        Path freezer = CGROUPS.resolve("freezer").resolve(CGROUP_ROOT);
        if (!Files.isDirectory(freezer)) {
            return;
        }
        try (Stream<Path> states = Files.walk(freezer)) {
            for (Path state : states.filter(p -> p.getFileName().toString().equals("freezer.state")).toList()) {
                if (!read(state).strip().equals("THAWED")) {
                    Files.writeString(state, "THAWED");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot thaw the cgroups under " + freezer, e);
        }
    }

    private void deleteContainers() {
        Path runcRoot = workDir.resolve("runc").resolve("k8s.io");
        if (!Files.isDirectory(runcRoot)) {
            return;
        }
        for (Path container : list(runcRoot)) {
            run(List.of("runc", "--root", runcRoot.toString(), "delete", "--force", container.getFileName().toString()), true);
        }
    }

    /** Kills in reverse order of start: the kubelet before containerd, everything before PostgreSQL's files go. */
    private void killRecordedProcesses() {
        List<Path> records = new ArrayList<>(list(ledger).stream().filter(p -> p.getFileName().toString().startsWith("pid-")).toList());
        records.sort(Comparator.comparing((Path p) -> p.toFile().lastModified()).reversed());
        for (Path record : records) {
            String[] fields = read(record).strip().split(" ");
            long pid = Long.parseLong(fields[0]);
            if (startTime(pid).map(t -> t.equals(fields[1])).orElse(false)) {
                ProcessHandle.of(pid).ifPresent(p -> killAndWait(p));
            }
            delete(record);
        }
    }

    private void deleteRecordedDirectories() {
        for (Path record : list(ledger)) {
            if (record.getFileName().toString().startsWith("dir-")) {
                deleteTree(Path.of(read(record).strip()));
                delete(record);
            }
        }
    }

    /** containerd's shims outlive containerd; ours name our socket on their command line. */
    private void killShims() {
        String socket = workDir.resolve("containerd.sock").toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("containerd-shim") && c.contains(socket)).orElse(false))
                .forEach(HostLedger::killAndWait);
    }

    private void removeNewNetworkNamespaces() {
        Path before = ledger.resolve("netns-before");
        if (!Files.exists(before)) {
            return;
        }
        Set<String> existing = new LinkedHashSet<>(read(before).lines().toList());
        for (Path netns : list(NETNS)) {
            String name = netns.getFileName().toString();
            if (name.startsWith("cni-") && !existing.contains(name)) {
                run(List.of("umount", "-l", netns.toString()), true);
                delete(netns);
            }
        }
        delete(before);
    }

    private void unmountUnderWorkDir() {
        String prefix = workDir.toString() + "/";
        List<String> mountPoints = read(Path.of("/proc/self/mountinfo")).lines()
                .map(line -> unescape(line.split(" ")[4]))
                .filter(m -> m.startsWith(prefix))
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
        for (String mountPoint : mountPoints) {
            run(List.of("umount", "-l", mountPoint), false);
        }
    }

    /** Depth first: a cgroup directory can only be removed once its children are, and its tasks gone. */
    private void removeCgroups() {
        for (Path hierarchy : list(CGROUPS)) {
            if (Files.isSymbolicLink(hierarchy)) {
                continue;
            }
            Path root = hierarchy.resolve(CGROUP_ROOT);
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> dirs;
            try (Stream<Path> walk = Files.walk(root)) {
                dirs = walk.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (Path dir : dirs) {
                removeCgroup(dir);
            }
        }
    }

    private static void removeCgroup(Path dir) {
        // A killed task leaves its cgroup a moment later; retry briefly instead of failing the whole cleanup.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                Files.delete(dir);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new UncheckedIOException("cannot remove cgroup " + dir, e);
                }
                pause();
            }
        }
    }

    private void restoreSysctls() {
        for (Path saved : list(ledger)) {
            String name = saved.getFileName().toString();
            if (name.startsWith("sysctl-")) {
                String key = name.substring("sysctl-".length());
                try {
                    Files.writeString(sysctlPath(key), read(saved).strip());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot restore " + key, e);
                }
                delete(saved);
            }
        }
    }

    /** The kubelet's links to container logs and libcni's result cache live at fixed host paths. */
    private void removeStrayFiles() {
        for (Path link : list(POD_LOG_LINKS)) {
            try {
                if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).startsWith(workDir)) {
                    delete(link);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Path absent = ledger.resolve("absent-before");
        if (Files.exists(absent)) {
            read(absent).lines().filter(l -> !l.isBlank()).map(Path::of).forEach(HostLedger::deleteTree);
            delete(absent);
        }
        for (Path result : list(CNI_RESULTS)) {
            if (result.getFileName().toString().startsWith(LocalCluster.NETWORK_NAME + "-")) {
                delete(result);
            }
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    private static void step(List<String> problems, String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            problems.add(what + ": " + e.getMessage());
        }
    }

    static Path sysctlPath(String key) {
        return Path.of("/proc/sys", key.replace('.', '/'));
    }

    /** Field 22 of /proc/PID/stat: the start time in clock ticks since boot, which tells a recycled pid apart. */
    static Optional<String> startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(afterName[19]);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static void killAndWait(ProcessHandle process) {
        process.destroyForcibly();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // A process that will not die in 10 s after SIGKILL is stuck in the kernel; the next steps report it.
        }
    }

    /** Runs a short command and returns its output; a non-zero exit fails unless {@code mayFail}. */
    static String run(List<String> command, boolean mayFail) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 30 s");
            }
            if (process.exitValue() != 0 && !mayFail) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output.strip());
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String unescape(String mountinfoPath) {
        return mountinfoPath.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private void write(String name, String content) {
        try {
            Files.writeString(ledger.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the host ledger " + ledger, e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
