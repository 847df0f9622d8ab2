/**
 * Amazon S3 and S3-compatible stores (MinIO, Ceph, R2 …), for {@code s3://bucket/key} URLs:
 * as the default store and for files tracked in place. A plugin: shipped as the folder
 * {@code plugins/s3/} with the AWS SDK, loaded into its own module layer. Exports nothing.
 */
module io.lfscloud.backend.s3 {
    requires io.lfscloud.spi;
    requires software.amazon.awssdk.services.s3;
    requires software.amazon.awssdk.http.urlconnection;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.auth;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.awscore;
    requires software.amazon.awssdk.http;
    requires software.amazon.awssdk.identity.spi;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.s3.S3BackendProvider;
}
