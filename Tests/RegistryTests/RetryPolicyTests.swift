import Foundation
import Testing

@testable import Registry

/// Backoff and `Retry-After`.
@Suite struct RetryPolicyTests {
    @Test func delaysDoubleUpToTheCap() {
        let policy = RetryPolicy(attempts: 6, initialDelay: .milliseconds(200), maximumDelay: .seconds(3))
        #expect(
            (1...6).map { policy.delay(after: $0, jitter: 0) } == [
                .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .seconds(3),
                .seconds(3),
            ])
    }

    @Test func jitterTakesUpToAQuarterOff() {
        let policy = RetryPolicy(initialDelay: .seconds(1))
        #expect(policy.delay(after: 1, jitter: 1) == .milliseconds(750))
        #expect(policy.delay(after: 1, jitter: 0.5) == .milliseconds(875))
    }

    @Test func atLeastOneAttempt() {
        #expect(RetryPolicy(attempts: 0).attempts == 1)
    }

    @Test func retryAfterInSecondsOrAsADate() throws {
        #expect(RetryPolicy.retryAfter("120") == .seconds(120))
        #expect(RetryPolicy.retryAfter(" 0 ") == .zero)
        let now = try #require(ISO8601DateFormatter().date(from: "2015-10-21T07:28:00Z"))
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now: now) == .zero, "a past date: now")
        #expect(RetryPolicy.retryAfter("soon") == nil)
        #expect(RetryPolicy.retryAfter("-5") == nil)
    }
}
