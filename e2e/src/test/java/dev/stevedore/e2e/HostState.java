package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.e2e.cluster.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** What a local cluster may change on this host, read from /proc and /sys, and the check that it all went back. */
final class HostState {

    private static final List<String> KERNEL_SETTINGS = List.of("vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic",
            "kernel.panic_on_oops", "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes");
    private static final Path WORK_DIR = LocalCluster.cacheRoot().resolve("local-cluster");

    private HostState() {}

    /** No process, bridge, cgroup, mount or work directory of the cluster is left, and the kernel settings are back. */
    static void assertLeftAsItWas(Map<String, String> kernelBefore) throws IOException {
        assertThat(kubelet()).isEmpty();
        assertThat(ProcessHandle.allProcesses().filter(p -> commandLine(p).contains(WORK_DIR.toString())).map(HostState::commandLine))
                .as("no process of ours is left").isEmpty();
        assertThat(Path.of("/sys/class/net/stv0")).doesNotExist();
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            assertThat(hierarchies.map(h -> h.resolve("stevedore-e2e"))).allSatisfy(dir -> assertThat(dir).doesNotExist());
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(WORK_DIR.toString());
        assertThat(WORK_DIR).doesNotExist();
        assertThat(kernelSettings()).isEqualTo(kernelBefore);
    }

    static Optional<ProcessHandle> kubelet() {
        return ProcessHandle.allProcesses().filter(p -> commandLine(p).contains("--hostname-override=" + LocalCluster.NODE_NAME)).findFirst();
    }

    static String commandLine(ProcessHandle process) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline")).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    static String cgroupOf(ProcessHandle process) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(process.pid()), "cgroup"));
        } catch (IOException e) {
            return "";
        }
    }

    static Map<String, String> kernelSettings() throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : KERNEL_SETTINGS) {
            Path file = Path.of("/proc/sys", key.replace('.', '/'));
            if (Files.exists(file)) {
                values.put(key, Files.readString(file).strip());
            }
        }
        return values;
    }
}
