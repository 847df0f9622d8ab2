package io.lfscloud.core.git;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConfigValuesTest {

    @Test
    void readsNulSeparatedRecordsWithGitsCaseRules() {
        ConfigValues v = ConfigValues.parseNulSeparated(
                "lfs-cloud.store\nfile:///a\0lfs-cloud.S3.Region\neu-west-1\0lfs-cloud.bare\0lfs-cloud.store\nfile:///b\0");
        assertEquals(Optional.of("file:///b"), v.get("LFS-Cloud.Store"), "the last value wins, names ignore case");
        assertEquals(Optional.of("eu-west-1"), v.get("lfs-cloud.S3.region"), "subsections keep their case");
        assertEquals(Optional.empty(), v.get("lfs-cloud.s3.region"));
        assertEquals(Optional.of("true"), v.get("lfs-cloud.bare"));
    }

    @Test
    void valuesMayHoldLineBreaks() {
        assertEquals(Optional.of("a\nb"), ConfigValues.parseNulSeparated("x.y\na\nb\0").get("x.y"));
    }
}
