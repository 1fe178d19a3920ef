use downloadview::VirtualDownloadView;

#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello.txt")]
struct View;

fn main() {}
