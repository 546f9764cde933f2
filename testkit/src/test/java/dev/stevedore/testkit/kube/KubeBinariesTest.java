package dev.stevedore.testkit.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeBinariesTest {

    @Test
    void thePinnedVersionComesFromTheBuild() {
        assertThat(KubeBinaries.pinned().version()).matches("1\\.\\d+\\.\\d+");
    }

    @Test
    void usesKubeApiTestsDirectoryLayout() {
        KubeBinaries binaries = new KubeBinaries(Path.of("cache"), "1.34.4");
        assertThat(binaries.binary("etcd")).isEqualTo(Path.of("cache", "k8s", "1.34.4-linux-amd64", "etcd"));
    }

    @Test
    void refusesToStartWithoutBinariesAndSaysHowToGetThem(@TempDir Path emptyCache) {
        TestKubernetes kube = TestKubernetes.using(new KubeBinaries(emptyCache, "1.34.4"), true);

        assertThatThrownBy(kube::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("missing from " + emptyCache.resolve("k8s").resolve("1.34.4-linux-amd64"))
                .hasMessageContaining("kube-apiserver, etcd, kubectl, kube-controller-manager")
                .hasMessageContaining("e2e/bin/kube-binaries")
                .hasMessageNotContaining("\n");
    }
}
