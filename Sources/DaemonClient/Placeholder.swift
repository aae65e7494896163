import DaemonAPI
