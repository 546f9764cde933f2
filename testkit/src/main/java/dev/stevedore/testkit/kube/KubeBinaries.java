package dev.stevedore.testkit.kube;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Where the Kubernetes test binaries live: kube-api-test's cache layout,
 * {@code <KUBE_API_TEST_DIR or ~/.kubeapitest>/k8s/<version>-<os>-<arch>/}, at the version pinned in the
 * parent POM. {@code e2e/bin/kube-binaries} fills it.
 */
public record KubeBinaries(Path testDir, String version) {

    public static final String KUBE_APISERVER = "kube-apiserver";
    public static final String ETCD = "etcd";
    public static final String KUBECTL = "kubectl";
    public static final String KUBE_CONTROLLER_MANAGER = "kube-controller-manager";
    public static final String KUBE_SCHEDULER = "kube-scheduler";
    public static final String KUBELET = "kubelet";
    /** What kube-api-test itself needs. */
    public static final List<String> API_SERVER_SET = List.of(KUBE_APISERVER, ETCD, KUBECTL);

    /** The cache of this machine at the pinned version. */
    public static KubeBinaries pinned() {
        String dir = System.getenv("KUBE_API_TEST_DIR");
        Path testDir = dir == null || dir.isBlank() ? Path.of(System.getProperty("user.home"), ".kubeapitest") : Path.of(dir);
        return new KubeBinaries(testDir, pinnedVersion());
    }

    static String pinnedVersion() {
        Properties props = new Properties();
        try (InputStream in = KubeBinaries.class.getResourceAsStream("/stevedore-testkit.properties")) {
            if (in == null) {
                throw new IllegalStateException("stevedore-testkit.properties is missing from the test kit jar; rebuild it with ./mvnw");
            }
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String version = props.getProperty("kube.version", "");
        if (!version.matches("\\d+\\.\\d+\\.\\d+")) {
            throw new IllegalStateException("the test kit was built without resource filtering (kube.version=" + version + "); rebuild it with ./mvnw");
        }
        return version;
    }

    /** The platform directory, named the way kube-api-test names it. */
    public Path directory() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("mac") ? "darwin" : "linux";
        String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
        return testDir.resolve("k8s").resolve(version + "-" + os + "-" + arch);
    }

    public Path binary(String name) {
        return directory().resolve(name);
    }

    public List<String> missing(List<String> names) {
        return names.stream().filter(n -> !Files.isExecutable(binary(n))).toList();
    }

    /** Fails with one line naming what is missing and how to get it. */
    public void require(List<String> names) {
        List<String> missing = missing(names);
        if (!missing.isEmpty()) {
            throw new IllegalStateException(missingMessage(missing));
        }
    }

    String missingMessage(List<String> missing) {
        return "Kubernetes test binaries v" + version + " missing from " + directory() + ": " + String.join(", ", missing)
                + ". Run e2e/bin/kube-binaries to build them (./mvnw verify runs it unless -Dkube.binaries.skip=true)";
    }
}
