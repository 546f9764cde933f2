package dev.stevedore.e2e.cluster;

import dev.stevedore.testkit.kube.KubeBinaries;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Everything the local cluster needs, checked at once, so a missing piece gives one line that says what to install. */
final class Prerequisites {

    private static final List<String[]> COMMANDS = List.of(
            new String[] {"containerd", "containerd"}, new String[] {"ctr", "containerd"}, new String[] {"runc", "runc"},
            new String[] {"docker-registry", "docker-registry"}, new String[] {"skopeo", "skopeo"},
            new String[] {"ip", "iproute2"}, new String[] {"runuser", "util-linux"});

    private Prerequisites() {}

    static void check(KubeBinaries binaries, Path imageCache) {
        List<String> problems = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            problems.add("the local cluster runs containerd and a kubelet, which need root; run as root");
        }
        List<String> packages = new ArrayList<>();
        for (String[] command : COMMANDS) {
            if (!onPath(command[0]) && !packages.contains(command[1])) {
                packages.add(command[1]);
            }
        }
        if (!Files.isExecutable(Path.of("/usr/lib/cni/bridge")) || !Files.isExecutable(Path.of("/usr/lib/cni/host-local"))) {
            packages.add("containernetworking-plugins");
        }
        if (!packages.isEmpty()) {
            problems.add("missing packages: apt-get install " + String.join(" ", packages) + " (.ci/run installs them)");
        }
        List<String> kube = binaries.missing(List.of(KubeBinaries.KUBE_APISERVER, KubeBinaries.ETCD, KubeBinaries.KUBECTL,
                KubeBinaries.KUBE_CONTROLLER_MANAGER, KubeBinaries.KUBE_SCHEDULER, KubeBinaries.KUBELET));
        if (!kube.isEmpty()) {
            problems.add("missing Kubernetes binaries " + kube + " in " + binaries.directory() + ": run e2e/bin/kube-binaries");
        }
        for (String image : List.of("pause", "jre")) {
            if (!Files.exists(imageCache.resolve(image).resolve("index.json"))) {
                problems.add("no " + image + " base image in " + imageCache + ": run e2e/bin/test-images");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the local cluster cannot start:\n  " + String.join("\n  ", problems));
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        Stream<String> dirs = Stream.concat(Stream.of((path == null ? "" : path).split(File.pathSeparator)),
                Stream.of("/usr/sbin", "/sbin", "/usr/bin"));
        return dirs.filter(d -> !d.isBlank()).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }
}
