use downloadview::VirtualDownloadView;

#[derive(VirtualDownloadView)]
#[download(basename = "hello.txt")]
union View {
    bytes: [u8; 4],
    word: u32,
}

fn main() {}
