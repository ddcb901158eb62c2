import Hummingbird
import NIOCore

/// The request context of the API: Hummingbird's basic context plus the client's address, which the
/// limit on failed authentications (AuthFailureLimiter) counts by. Nil when there is no socket (router tests).
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
