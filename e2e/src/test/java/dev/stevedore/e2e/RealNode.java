package dev.stevedore.e2e;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.e2e.cluster.StevedoreImages;
import dev.stevedore.e2e.install.Helm;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One local cluster and one image build for the whole test JVM, shared by every test class that registers
 * this extension, and closed when the JVM's tests are done.
 */
public final class RealNode implements BeforeAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RealNode.class);

    private static Started started;

    record Started(LocalCluster cluster, StevedoreImages images) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            cluster.close();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (RealNode.class) {
            if (started == null) {
                started = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("cluster", key -> start(), Started.class);
            }
        }
    }

    private static Started start() {
        LocalCluster cluster = LocalCluster.start(Path.of("target", "local-cluster"));
        try {
            StevedoreImages images = StevedoreImages.build(cluster, projectDir(), System.getProperty("stevedore.project.version"));
            System.err.println("local-cluster: images built and pushed in " + images.buildTime().toSeconds() + " s: " + images);
            return new Started(cluster, images);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    static Path projectDir() {
        String dir = System.getProperty("stevedore.project.dir");
        return dir == null ? Path.of("..").toAbsolutePath().normalize() : Path.of(dir);
    }

    /** The Helm CLI, for the chart of this checkout. */
    public static Helm helm() {
        return new Helm(projectDir());
    }

    public static LocalCluster cluster() {
        return started.cluster();
    }

    public static StevedoreImages images() {
        return started.images();
    }
}
