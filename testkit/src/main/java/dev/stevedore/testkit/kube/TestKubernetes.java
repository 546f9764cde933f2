package dev.stevedore.testkit.kube;

import dev.stevedore.testkit.TempDirs;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfig;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Kubernetes control plane for a test class: etcd and kube-apiserver through fabric8 kube-api-test,
 * and, when asked for, kube-controller-manager. Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final TestKubernetes kube = TestKubernetes.withControllerManager();
 * }</pre>
 *
 * There is no scheduler and no kubelet: Pods stay Pending unless a test (or the e2e fake kubelet) plays
 * those parts. It can also be used without JUnit through {@link #start()} and {@link #close()}.
 */
public final class TestKubernetes implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private final boolean controllerManager;
    private final KubeBinaries binaries;
    private final List<String> apiServerFlags;
    private KubeAPIServer apiServer;
    private ControllerManager manager;
    private KubernetesClient client;
    private Path workDir;
    private Path kubeconfigFile;
    private String kubeconfigYaml;

    private TestKubernetes(boolean controllerManager, KubeBinaries binaries) {
        this(controllerManager, binaries, List.of());
    }

    private TestKubernetes(boolean controllerManager, KubeBinaries binaries, List<String> apiServerFlags) {
        this.controllerManager = controllerManager;
        this.binaries = binaries;
        this.apiServerFlags = List.copyOf(apiServerFlags);
    }

    /** The same, with extra kube-apiserver flags ({@code --name=value}). */
    public TestKubernetes withApiServerFlags(List<String> flags) {
        return new TestKubernetes(controllerManager, binaries, flags);
    }

    /** etcd and kube-apiserver only. */
    public static TestKubernetes apiServer() {
        return new TestKubernetes(false, KubeBinaries.pinned());
    }

    /** etcd, kube-apiserver and kube-controller-manager. */
    public static TestKubernetes withControllerManager() {
        return new TestKubernetes(true, KubeBinaries.pinned());
    }

    /** For tests of this class itself: binaries from another cache directory. */
    static TestKubernetes using(KubeBinaries binaries, boolean controllerManager) {
        return new TestKubernetes(controllerManager, binaries);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    public synchronized TestKubernetes start() {
        if (apiServer != null) {
            return this;
        }
        // Check before kube-api-test does: its own error for a missing binary is a download failure.
        binaries.require(controllerManager
                ? List.of(KubeBinaries.KUBE_APISERVER, KubeBinaries.ETCD, KubeBinaries.KUBECTL, KubeBinaries.KUBE_CONTROLLER_MANAGER)
                : KubeBinaries.API_SERVER_SET);
        try {
            workDir = Files.createTempDirectory("stevedore-kube-");
            KubeAPIServerConfig config = KubeAPIServerConfigBuilder.anAPIServerConfig()
                    .withTestDir(binaries.testDir().toString())
                    .withApiServerVersion(binaries.version())
                    // Set explicitly: kube-api-test 7.4.0 cannot parse these three from the environment.
                    .withOfflineMode(true)
                    .withStartupTimeout(90_000)
                    .withWaitForEtcdHealthCheckOnStartup(true)
                    .withApiServerFlags(apiServerFlags)
                    .build();
            apiServer = new KubeAPIServer(config);
            apiServer.start();
            kubeconfigYaml = apiServer.getKubeConfigYaml();
            kubeconfigFile = workDir.resolve("kubeconfig.yaml");
            Files.writeString(kubeconfigFile, kubeconfigYaml);
            client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
            if (controllerManager) {
                manager = ControllerManager.start(binaries.binary(KubeBinaries.KUBE_CONTROLLER_MANAGER), kubeconfigFile,
                        workDir.resolve("kube-controller-manager.log"));
            }
            return this;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public KubernetesClient client() {
        requireStarted();
        return client;
    }

    /** Admin kubeconfig (client certificate in system:masters), for other processes. */
    public String kubeconfigYaml() {
        requireStarted();
        return kubeconfigYaml;
    }

    public Path kubeconfigFile() {
        requireStarted();
        return kubeconfigFile;
    }

    public ControllerManager controllerManager() {
        if (manager == null) {
            throw new IllegalStateException("this TestKubernetes runs no controller manager; use TestKubernetes.withControllerManager()");
        }
        return manager;
    }

    private void requireStarted() {
        if (client == null) {
            throw new IllegalStateException("TestKubernetes is not started");
        }
    }

    @Override
    public synchronized void close() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
        if (client != null) {
            client.close();
            client = null;
        }
        if (apiServer != null) {
            try {
                apiServer.stop();
            } catch (RuntimeException e) {
                // kube-api-test 7.4.0's stop() is not idempotent; a process that already died has been cleaned up.
                System.err.println("stevedore-testkit: stopping kube-apiserver: " + e);
            }
            apiServer = null;
        }
        if (workDir != null) {
            TempDirs.delete(workDir);
            workDir = null;
        }
    }
}
