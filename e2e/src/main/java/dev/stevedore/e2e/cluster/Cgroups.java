package dev.stevedore.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one cgroup the kubelet is given as its root, made in every hierarchy before the kubelet starts. */
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
}
