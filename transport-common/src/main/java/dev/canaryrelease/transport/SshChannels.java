package dev.canaryrelease.transport;

import java.io.IOException;

import net.schmizz.sshj.common.SSHPacket;
import net.schmizz.sshj.connection.Connection;
import net.schmizz.sshj.connection.channel.direct.AbstractDirectChannel;
import net.schmizz.sshj.connection.channel.direct.DirectConnection;

/**
 * Direct channels to a socket on the remote host, opened on a connection of {@link Ssh#connect}:
 * OpenSSH's {@code direct-streamlocal@openssh.com} to a unix socket (what {@code ssh -L port:/path}
 * opens, allowed by {@code AllowStreamLocalForwarding}) and {@code direct-tcpip} to a TCP port as
 * the remote host sees it (allowed by {@code AllowTcpForwarding}).
 */
public final class SshChannels {
    private SshChannels() {}

    /**
     * A direct channel that can be ended by sending CHANNEL_CLOSE without waiting for the server's
     * (sshj's {@code close()} waits): when what was read is complete by its own framing, waiting
     * would only add a round trip. sshj forgets the channel when the server's CLOSE arrives.
     */
    public interface Closing {
        void closeWithoutWaiting() throws IOException;
    }

    /** An open channel to the unix socket {@code socketPath} on the host. */
    public static AbstractDirectChannel streamLocal(Connection conn, String socketPath)
            throws IOException {
        StreamLocalChannel ch = new StreamLocalChannel(conn, socketPath);
        ch.open();
        return ch;
    }

    /** An open channel to {@code host:port} as the remote host sees it. */
    public static AbstractDirectChannel tcp(Connection conn, String host, int port)
            throws IOException {
        TcpChannel ch = new TcpChannel(conn, host, port);
        ch.open();
        return ch;
    }

    static final class StreamLocalChannel extends AbstractDirectChannel implements Closing {
        private final String socketPath;

        StreamLocalChannel(Connection conn, String socketPath) {
            super(conn, "direct-streamlocal@openssh.com");
            this.socketPath = socketPath;
        }

        @Override
        protected SSHPacket buildOpenReq() {
            // socket path, reserved string, reserved uint32 (OpenSSH PROTOCOL, section 2.4)
            return super.buildOpenReq().putString(socketPath).putString("").putUInt32(0);
        }

        @Override
        public void closeWithoutWaiting() throws IOException {
            if (isOpen()) sendClose();
        }
    }

    static final class TcpChannel extends DirectConnection implements Closing {
        TcpChannel(Connection conn, String host, int port) {
            super(conn, host, port);
        }

        @Override
        public void closeWithoutWaiting() throws IOException {
            if (isOpen()) sendClose();
        }
    }
}
