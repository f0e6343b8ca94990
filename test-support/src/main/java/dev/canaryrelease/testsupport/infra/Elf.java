package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Reads just enough of an ELF file to tell whether it needs a dynamic loader. */
final class Elf {
    private static final int PT_INTERP = 3;

    private Elf() {}

    static boolean isStatic(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer header = ByteBuffer.allocate(64);
            ch.read(header, 0);
            header.flip();
            if (header.remaining() < 64
                    || header.get(0) != 0x7f
                    || header.get(1) != 'E'
                    || header.get(2) != 'L'
                    || header.get(3) != 'F') {
                return false;
            }
            boolean is64 = header.get(4) == 2;
            header.order(header.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long phoff = is64 ? header.getLong(0x20) : Integer.toUnsignedLong(header.getInt(0x1C));
            int phentsize = Short.toUnsignedInt(header.getShort(is64 ? 0x36 : 0x2A));
            int phnum = Short.toUnsignedInt(header.getShort(is64 ? 0x38 : 0x2C));
            ByteBuffer ph = ByteBuffer.allocate(phentsize * phnum).order(header.order());
            ch.read(ph, phoff);
            for (int i = 0; i < phnum; i++) {
                if (ph.getInt(i * phentsize) == PT_INTERP) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
