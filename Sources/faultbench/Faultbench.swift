import ArgumentParser

@main
struct Faultbench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faultbench",
        abstract: "Injects file-system faults through FUSE and measures what resilience patterns prevent.",
        subcommands: [RunCommand.self, MountCommand.self, UnmountCommand.self, ControlCommand.self, ReplayCommand.self, CheckCommand.self,
                      CompareCommand.self, BaselineCommand.self, MergeCommand.self, ReportCommand.self]
    )

    static func main() {
        mainReportingFailures()
    }
}
