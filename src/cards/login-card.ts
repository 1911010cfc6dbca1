/** The interactive login card: a button, not a bare link, in Vietnamese and English. */
export function loginCard(link: string, pendingCount: number): Record<string, unknown> {
  const pending =
    pendingCount > 1
      ? `Bạn có **${pendingCount} yêu cầu** đang chờ; chúng sẽ tự chạy tiếp sau khi bạn đăng nhập.\n*${pendingCount} requests are waiting and will continue once you sign in.*`
      : 'Yêu cầu của bạn sẽ tự chạy tiếp sau khi bạn đăng nhập.\n*Your request will continue once you sign in.*';
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { template: 'blue', title: { tag: 'plain_text', content: 'Kết nối Lịch & Công việc / Connect Calendar & Tasks' } },
    elements: [
      {
        tag: 'div',
        text: {
          tag: 'lark_md',
          content: `Để làm việc này, trợ lý cần quyền truy cập Lịch và Công việc Lark của bạn.\n*To do this, the assistant needs access to your Lark Calendar and Tasks.*\n\n${pending}`,
        },
      },
      {
        tag: 'action',
        actions: [
          {
            tag: 'button',
            type: 'primary',
            text: { tag: 'plain_text', content: 'Đăng nhập / Sign in with Lark' },
            multi_url: { url: link, pc_url: link, android_url: link, ios_url: link },
          },
        ],
      },
      { tag: 'note', elements: [{ tag: 'plain_text', content: 'Liên kết dùng một lần, hết hạn sau 15 phút. / Single-use link, expires in 15 minutes.' }] },
    ],
  };
}
