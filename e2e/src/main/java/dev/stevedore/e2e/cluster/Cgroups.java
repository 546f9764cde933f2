package dev.stevedore.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one cgroup the kubelet is given as its root, made in every hierarchy before the kubelet starts; and the freezer. */
final class Cgroups {

    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");

    private Cgroups() {}

    static void createRoot(String name) {
        try (DirectoryStream<Path> hierarchies = Files.newDirectoryStream(CGROUPS)) {
            for (Path hierarchy : hierarchies) {
                if (Files.isSymbolicLink(hierarchy) || !Files.isDirectory(hierarchy)) {
                    continue; // cpu -> cpu,cpuacct and the like
                }
                Path root = hierarchy.resolve(name);
                Files.createDirectories(root);
                // A new cpuset cgroup has no CPUs or memory nodes until given its parent's.
                for (String file : new String[] {"cpuset.cpus", "cpuset.mems"}) {
                    Path parent = hierarchy.resolve(file);
                    if (Files.exists(parent) && Files.readString(root.resolve(file)).isBlank()) {
                        Files.writeString(root.resolve(file), Files.readString(parent).strip());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cgroup /" + name + " for the kubelet", e);
        }
    }

    /** Freezes or thaws the cgroup of {@code pid}: the v1 freezer hierarchy, or cgroup.freeze on a unified hierarchy. */
    static void freeze(long pid, boolean frozen) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
                String[] fields = line.split(":", 3);
                if (fields.length == 3 && fields[1].equals("freezer")) {
                    Files.writeString(CGROUPS.resolve("freezer" + fields[2]).resolve("freezer.state"), frozen ? "FROZEN" : "THAWED");
                    return;
                }
                if (fields.length == 3 && fields[0].equals("0") && fields[1].isEmpty()
                        && Files.exists(CGROUPS.resolve(fields[2].substring(1)).resolve("cgroup.freeze"))) {
                    Files.writeString(CGROUPS.resolve(fields[2].substring(1)).resolve("cgroup.freeze"), frozen ? "1" : "0");
                    return;
                }
            }
            throw new IllegalStateException("process " + pid + " is in no freezer cgroup");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot " + (frozen ? "freeze" : "thaw") + " process " + pid, e);
        }
    }
}
