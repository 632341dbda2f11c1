<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ApplicationTableModel</name>
    <message>
        <source>ID</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Program</source>
        <translation>项目类别</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>申报单位</translation>
    </message>
    <message>
        <source>Credit code</source>
        <translation>统一社会信用代码</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>项目名称</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>申请金额</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>档次</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>事项数</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>附件 盲审/非盲审</translation>
    </message>
    <message>
        <source>Experts</source>
        <translation>评审专家</translation>
    </message>
    <message>
        <source>{blind} blind (experts may see them), {other} not blind</source>
        <translation>盲审附件 {blind} 份（专家可见），非盲审附件 {other} 份</translation>
    </message>
    <message>
        <source>{n} experts assigned</source>
        <translation>已分配 {n} 位评审专家</translation>
    </message>
</context>
<context>
    <name>CheckRow</name>
    <message>
        <source>Pass</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>Fail</source>
        <translation>不通过</translation>
    </message>
    <message>
        <source>{name}: pass or fail</source>
        <translation>{name}：通过或不通过</translation>
    </message>
    <message>
        <source>Reason for failing {name}</source>
        <translation>{name}不通过的理由</translation>
    </message>
    <message>
        <source>Reason for the fail (required)</source>
        <translation>不通过的理由（必填）</translation>
    </message>
</context>
<context>
    <name>CriterionRow</name>
    <message>
        <source>(optional)</source>
        <translation>（选填）</translation>
    </message>
    <message>
        <source>not filled in yet</source>
        <translation>尚未填写</translation>
    </message>
    <message>
        <source>incomplete</source>
        <translation>尚未完成</translation>
    </message>
    <message>
        <source>complete</source>
        <translation>已完成</translation>
    </message>
</context>
<context>
    <name>DeclarationView</name>
    <message>
        <source>Declaration of impartiality and confidentiality</source>
        <translation>评审专家承诺书（公正与保密）</translation>
    </message>
    <message>
        <source>Read the declaration to its end. No application is shown before you accept it.</source>
        <translation>请把承诺书读到最后。签署之前，不会显示任何申报。</translation>
    </message>
    <message>
        <source>Declaration text</source>
        <translation>承诺书全文</translation>
    </message>
    <message>
        <source>Scroll to the end of the text to accept it.</source>
        <translation>请滚动到全文末尾后再签署。</translation>
    </message>
    <message>
        <source>&amp;Conflicts of interest to declare (leave empty if none):</source>
        <translation>需申明的利害关系（没有则留空）(&amp;C)：</translation>
    </message>
    <message>
        <source>Conflicts of interest to declare</source>
        <translation>需申明的利害关系</translation>
    </message>
    <message>
        <source>&amp;I have read the declaration and accept it</source>
        <translation>我已阅读并同意以上承诺书(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Sign and start reviewing</source>
        <translation>签署并开始评审(&amp;S)</translation>
    </message>
    <message>
        <source>You have read to the end.</source>
        <translation>您已读到全文末尾。</translation>
    </message>
</context>
<context>
    <name>DocumentPane</name>
    <message>
        <source>&amp;Attachment:</source>
        <translation>附件(&amp;A)：</translation>
    </message>
    <message>
        <source>Attachment</source>
        <translation>附件</translation>
    </message>
    <message>
        <source>Choose the attachment to read (Ctrl+Shift+A: the next one)</source>
        <translation>选择要阅读的附件（Ctrl+Shift+A：下一个）</translation>
    </message>
    <message>
        <source>Application summary and items</source>
        <translation>申报摘要与条目</translation>
    </message>
    <message>
        <source>{n}. {title} ({size} KB)</source>
        <translation>{n}. {title}（{size} KB）</translation>
    </message>
    <message>
        <source>This application has no blind attachments.</source>
        <translation>本申报没有可供盲评的附件。</translation>
    </message>
    <message>
        <source>This attachment cannot be read from the snapshot: {reason}</source>
        <translation>无法从快照中读取此附件：{reason}</translation>
    </message>
    <message>
        <source>Code {code} · program {program} · requested {amount} yuan</source>
        <translation>编号 {code} · 项目类别 {program} · 申请金额 {amount} 元</translation>
    </message>
    <message>
        <source>Declared tier: {tier}</source>
        <translation>申报档次：{tier}</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>申报条目</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>tier: {tier}</source>
        <translation>档次：{tier}</translation>
    </message>
</context>
<context>
    <name>FinaliseDialog</name>
    <message>
        <source>Finalise and export</source>
        <translation>定稿并导出</translation>
    </message>
    <message>
        <source>What is still missing</source>
        <translation>尚未完成的内容</translation>
    </message>
    <message>
        <source>Score file:</source>
        <translation>评分文件：</translation>
    </message>
    <message>
        <source>Sequence:</source>
        <translation>版本序号：</translation>
    </message>
    <message>
        <source>Score file digest</source>
        <translation>评分文件摘要</translation>
    </message>
    <message>
        <source>Score file digest:</source>
        <translation>评分文件摘要：</translation>
    </message>
    <message>
        <source>Expert key fingerprint</source>
        <translation>专家密钥指纹</translation>
    </message>
    <message>
        <source>Expert key fingerprint:</source>
        <translation>专家密钥指纹：</translation>
    </message>
    <message>
        <source>&amp;Finalise and export…</source>
        <translation>定稿并导出(&amp;F)…</translation>
    </message>
    <message>
        <source>The declaration is not accepted yet.</source>
        <translation>尚未签署承诺书。</translation>
    </message>
    <message>
        <source>Not ready to finalise: {count} values are still missing in {apps} applications. Press Enter (or double-click) on a line to go there.</source>
        <translation>还不能定稿：{apps} 份申报中尚有 {count} 项未完成。在某一行上按回车（或双击）即可跳转到该处。</translation>
    </message>
    <message>
        <source>Everything is filled in. Finalising signs your scores and writes the score file (sequence {sequence}) to the folder or USB stick you choose.</source>
        <translation>全部填写完毕。定稿将签署您的评分，并把评分文件（第 {sequence} 版）写入您选择的文件夹或U盘。</translation>
    </message>
    <message>
        <source>Where to write the score file (a USB stick)</source>
        <translation>评分文件写到哪里（U盘）</translation>
    </message>
    <message>
        <source>Signing and writing {file}…</source>
        <translation>正在签署并写入 {file}…</translation>
    </message>
    <message>
        <source>The score file was written, read back and verified. Hand it to the coordinator; your printed scorecards carry the same digest and fingerprint.</source>
        <translation>评分文件已写入，并已读回校验。请交给评审组织方；您打印的评分表上印有相同的摘要和指纹。</translation>
    </message>
</context>
<context>
    <name>ItemsRow</name>
    <message>
        <source> — accept or reject each {what}</source>
        <translation> —— 逐项认定{what}（接受或不接受）</translation>
    </message>
    <message>
        <source>The application lists no {what}.</source>
        <translation>本申报未列出{what}。</translation>
    </message>
    <message>
        <source>declared: {tier}</source>
        <translation>申报档次：{tier}</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>不接受</translation>
    </message>
    <message>
        <source>{what} {id}: accept or reject</source>
        <translation>{what} {id}：接受或不接受</translation>
    </message>
    <message>
        <source>Reason for rejecting {what} {id}</source>
        <translation>不接受{what} {id} 的理由</translation>
    </message>
    <message>
        <source>Reason for the rejection (required)</source>
        <translation>不接受的理由（必填）</translation>
    </message>
    <message>
        <source>(choose the tier)</source>
        <translation>（请选择档次）</translation>
    </message>
    <message>
        <source>Tier of {what} {id} (declared: {tier})</source>
        <translation>{what} {id} 的档次（申报：{tier}）</translation>
    </message>
</context>
<context>
    <name>LockView</name>
    <message>
        <source>Locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>The review was locked because nothing was typed for a while. Everything you entered is saved. Type the snapshot passphrase to continue.</source>
        <translation>由于一段时间没有操作，评审已锁定。您填写的内容都已保存。请输入快照口令继续。</translation>
    </message>
    <message>
        <source>Snapshot passphrase</source>
        <translation>快照口令</translation>
    </message>
    <message>
        <source>&amp;Unlock</source>
        <translation>解锁(&amp;U)</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在核对…</translation>
    </message>
    <message>
        <source>Wrong passphrase. Type the passphrase from your handover slip.</source>
        <translation>口令不正确。请输入交接单上的口令。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;Programs</source>
        <translation>项目类别(&amp;P)</translation>
    </message>
    <message>
        <source>ID, title, applicant or credit code</source>
        <translation>编号、项目名称、申报单位或统一社会信用代码</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>搜索(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Applications</source>
        <translation>申报项目(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open database…</source>
        <translation>打开数据库(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <source>R&amp;ound</source>
        <translation>评审批次(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About qbdesk</source>
        <translation>关于 qbdesk(&amp;A)</translation>
    </message>
    <message>
        <source>No database is open.

Open one with File → Open database… (Ctrl+O).</source>
        <translation>尚未打开数据库。

请通过“文件 → 打开数据库…”（Ctrl+O）打开。</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>This database has no review round yet.

Create one from a terminal:
qbdesk demo — a demonstration round with sample applications
qbdesk round init — a new round of your own

then press F5 to refresh, or open another database with Ctrl+O.</source>
        <translation>此数据库中还没有评审批次。

请在终端中创建：
qbdesk demo — 创建带示例申报材料的演示批次
qbdesk round init — 新建评审批次

然后按 F5 刷新，或按 Ctrl+O 打开其他数据库。</translation>
    </message>
    <message>
        <source>Could not read the database:
{reason}</source>
        <translation>无法读取数据库：
{reason}</translation>
    </message>
    <message>
        <source>Open database</source>
        <translation>打开数据库</translation>
    </message>
    <message>
        <source>qbdesk databases (*.sqlite *.db);;All files (*)</source>
        <translation>qbdesk 数据库 (*.sqlite *.db);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Could not open {path}:
{reason}</source>
        <translation>无法打开 {path}：
{reason}</translation>
    </message>
    <message>
        <source>Opening {path}…</source>
        <translation>正在打开 {path}…</translation>
    </message>
    <message>
        <source>About qbdesk</source>
        <translation>关于 qbdesk</translation>
    </message>
    <message>
        <source>&lt;b&gt;qbdesk&lt;/b&gt; {version}&lt;p&gt;Expert review desk for the quality-and-brand special fund of the Shenzhen Administration for Market Regulation.&lt;/p&gt;</source>
        <translation>&lt;b&gt;qbdesk 质量品牌评审桌面&lt;/b&gt; {version}&lt;p&gt;深圳市市场监督管理局质量品牌领域专项资金专家评审工具。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>qbdesk — quality-brand review desk</source>
        <translation>qbdesk — 质量品牌评审桌面</translation>
    </message>
    <message>
        <source>Round: {name} ({year})</source>
        <translation>评审批次：{name}（{year}年）</translation>
    </message>
    <message>
        <source>{shown} of {total} applications shown</source>
        <translation>显示 {shown} / 共 {total} 项申报</translation>
    </message>
</context>
<context>
    <name>Money</name>
    <message>
        <source>¥{amount}</source>
        <translation>{amount} 元</translation>
    </message>
</context>
<context>
    <name>NotesBox</name>
    <message>
        <source>My notes (private, never exported)</source>
        <translation>我的笔记（仅本人可见，不导出）</translation>
    </message>
    <message>
        <source>Show or hide my private notes</source>
        <translation>显示或隐藏我的笔记</translation>
    </message>
    <message>
        <source>My private notes on this application</source>
        <translation>我对本申报的私人笔记</translation>
    </message>
    <message>
        <source>Only you see these notes; they are encrypted and never leave this laptop.</source>
        <translation>笔记仅您本人可见，加密保存，不会离开这台电脑。</translation>
    </message>
    <message>
        <source>Private notes need a newer workspace.</source>
        <translation>私人笔记需要更新版本的工作区。</translation>
    </message>
</context>
<context>
    <name>OpinionRow</name>
    <message>
        <source>Opinion: {name}</source>
        <translation>{name}（文字意见）</translation>
    </message>
    <message>
        <source>{n} characters (at least {min})</source>
        <translation>{n} 字（至少 {min} 字）</translation>
    </message>
    <message>
        <source>{n} characters</source>
        <translation>{n} 字</translation>
    </message>
</context>
<context>
    <name>OverviewModel</name>
    <message>
        <source>Code</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>项目名称</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>总分</translation>
    </message>
    <message>
        <source>pass</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>fail</source>
        <translation>不通过</translation>
    </message>
    <message>
        <source>{accepted} accepted of {decided}</source>
        <translation>已判 {decided} 项，接受 {accepted} 项</translation>
    </message>
    <message>
        <source>recused</source>
        <translation>已回避</translation>
    </message>
    <message>
        <source>not filled in yet</source>
        <translation>尚未填写</translation>
    </message>
    <message>
        <source>Tie: the same total as {codes}</source>
        <translation>并列：与 {codes} 总分相同</translation>
    </message>
</context>
<context>
    <name>OverviewView</name>
    <message>
        <source>&amp;Program:</source>
        <translation>项目类别(&amp;P)：</translation>
    </message>
    <message>
        <source>Program</source>
        <translation>项目类别</translation>
    </message>
    <message>
        <source>My scores in this program</source>
        <translation>我在本项目类别的评分</translation>
    </message>
    <message>
        <source>Orange total: a tie (the same total as another application). Red cell: not filled in yet. Click a column heading to sort; Enter opens the application.</source>
        <translation>橙色总分：并列（与其他申报总分相同）。红色单元格：尚未填写。点击列标题排序；按回车键打开该申报。</translation>
    </message>
</context>
<context>
    <name>PassphraseDialog</name>
    <message>
        <source>Snapshot passphrase</source>
        <translation>快照口令</translation>
    </message>
    <message>
        <source>as printed on the handover slip</source>
        <translation>与交接单上印的一致</translation>
    </message>
    <message>
        <source>Checking the passphrase…</source>
        <translation>正在核对口令…</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <source>Type the passphrase from the handover slip.</source>
        <translation>请输入交接单上的口令。</translation>
    </message>
    <message>
        <source>Wrong passphrase: this is not the passphrase of this snapshot. Nothing was written. Check the handover slip and type it again.</source>
        <translation>口令不正确：这不是本快照的口令。没有写入任何文件。请核对交接单后重新输入。</translation>
    </message>
</context>
<context>
    <name>PdfViewer</name>
    <message>
        <source>◀</source>
        <translation>◀</translation>
    </message>
    <message>
        <source>Previous page (PgUp)</source>
        <translation>上一页（PgUp）</translation>
    </message>
    <message>
        <source>▶</source>
        <translation>▶</translation>
    </message>
    <message>
        <source>Next page (PgDn)</source>
        <translation>下一页（PgDn）</translation>
    </message>
    <message>
        <source>−</source>
        <translation>−</translation>
    </message>
    <message>
        <source>Zoom out (Ctrl+-)</source>
        <translation>缩小（Ctrl+-）</translation>
    </message>
    <message>
        <source>+</source>
        <translation>+</translation>
    </message>
    <message>
        <source>Zoom in (Ctrl++)</source>
        <translation>放大（Ctrl++）</translation>
    </message>
    <message>
        <source>Fit width</source>
        <translation>适合宽度</translation>
    </message>
    <message>
        <source>Fit the page width to the pane (Ctrl+0)</source>
        <translation>页面宽度适合窗格（Ctrl+0）</translation>
    </message>
    <message>
        <source>Fit page</source>
        <translation>整页</translation>
    </message>
    <message>
        <source>Show the whole page</source>
        <translation>显示整页</translation>
    </message>
    <message>
        <source>▲</source>
        <translation>▲</translation>
    </message>
    <message>
        <source>Previous hit (Shift+F3)</source>
        <translation>上一处（Shift+F3）</translation>
    </message>
    <message>
        <source>▼</source>
        <translation>▼</translation>
    </message>
    <message>
        <source>Next hit (F3)</source>
        <translation>下一处（F3）</translation>
    </message>
    <message>
        <source>Search the document (Ctrl+F)</source>
        <translation>在文档中查找（Ctrl+F）</translation>
    </message>
    <message>
        <source>Search the document</source>
        <translation>在文档中查找</translation>
    </message>
    <message>
        <source>Attachment pages</source>
        <translation>附件页面</translation>
    </message>
    <message>
        <source>Page</source>
        <translation>页码</translation>
    </message>
    <message>
        <source>This attachment is password-protected and cannot be shown. Tell the coordinator.</source>
        <translation>此附件设有密码，无法显示。请告知评审组织方。</translation>
    </message>
    <message>
        <source>This attachment cannot be shown: it is damaged or not a PDF. Tell the coordinator; the other attachments and the scoring are not affected.</source>
        <translation>此附件无法显示：文件已损坏或不是 PDF。请告知评审组织方；其他附件和评分不受影响。</translation>
    </message>
    <message>
        <source>Page {page} of {count}</source>
        <translation>第 {page} 页，共 {count} 页</translation>
    </message>
    <message>
        <source>No hits</source>
        <translation>未找到</translation>
    </message>
    <message>
        <source>{count} hits</source>
        <translation>共 {count} 处</translation>
    </message>
    <message>
        <source>Hit {index} of {count}</source>
        <translation>第 {index} 处，共 {count} 处</translation>
    </message>
</context>
<context>
    <name>Placeholder</name>
    <message>
        <source>This part of the window is not available in this build.</source>
        <translation>此版本中没有窗口的这一部分。</translation>
    </message>
</context>
<context>
    <name>ProgramListModel</name>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>All programs</source>
        <translation>全部项目类别</translation>
    </message>
    <message>
        <source>{code} {name}, article {article}</source>
        <translation>{code} {name}，第{article}条</translation>
    </message>
    <message>
        <source>{n} applications, {amount} requested</source>
        <translation>{n} 项申报，申请金额合计 {amount}</translation>
    </message>
    <message>
        <source>Not part of this round</source>
        <translation>本批次不含此项目类别</translation>
    </message>
</context>
<context>
    <name>PurgeDialog</name>
    <message>
        <source>Remove the review from this computer</source>
        <translation>从本机删除评审数据</translation>
    </message>
    <message>
        <source>Only after the coordinator has confirmed that they received your score file: this removes the following from this computer, for good. Your scores cannot be exported again afterwards.</source>
        <translation>仅在评审组织方确认已收到您的评分文件之后操作：以下内容将从本机永久删除，此后不能再导出评分。</translation>
    </message>
    <message>
        <source>Warning: your current scores are not finalised; nothing of them would be kept.</source>
        <translation>注意：您当前的评分尚未定稿，删除后将不留任何记录。</translation>
    </message>
    <message>
        <source>What will be removed</source>
        <translation>将要删除的内容</translation>
    </message>
    <message>
        <source>The coordinator has &amp;confirmed receipt of my score file</source>
        <translation>评审组织方已确认收到我的评分文件(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Remove these files</source>
        <translation>删除这些文件(&amp;R)</translation>
    </message>
</context>
<context>
    <name>RecusalDialog</name>
    <message>
        <source>Recuse from {code}</source>
        <translation>回避申报 {code}</translation>
    </message>
    <message>
        <source>Recuse from application {code} (conflict of interest). It leaves your work list and its scores are not exported. You can withdraw this until you finalise.</source>
        <translation>回避申报 {code}（存在利害关系）。该申报将移出您的工作列表，其评分不会导出。定稿之前可以撤销回避。</translation>
    </message>
    <message>
        <source>&amp;Reason (required):</source>
        <translation>回避理由（必填）(&amp;R)：</translation>
    </message>
    <message>
        <source>Reason for the recusal</source>
        <translation>回避理由</translation>
    </message>
    <message>
        <source>&amp;Recuse</source>
        <translation>回避(&amp;R)</translation>
    </message>
</context>
<context>
    <name>ReviewWindow</name>
    <message>
        <source>&amp;Review</source>
        <translation>评审(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Finalise and export…</source>
        <translation>定稿并导出(&amp;F)…</translation>
    </message>
    <message>
        <source>&amp;Print my scorecards…</source>
        <translation>打印我的评分表(&amp;P)…</translation>
    </message>
    <message>
        <source>Save my scorecards as P&amp;DF…</source>
        <translation>把我的评分表存为 PDF(&amp;D)…</translation>
    </message>
    <message>
        <source>Re&amp;open for correction</source>
        <translation>重新打开以更正(&amp;O)</translation>
    </message>
    <message>
        <source>Re&amp;move the review from this computer…</source>
        <translation>从本机删除评审数据(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Lock now</source>
        <translation>立即锁定(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Application</source>
        <translation>申报(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Next incomplete application</source>
        <translation>下一个未完成的申报(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Recuse (conflict of interest)…</source>
        <translation>回避（利害关系）(&amp;R)…</translation>
    </message>
    <message>
        <source>&amp;Withdraw the recusal</source>
        <translation>撤销回避(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>查看(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Work list</source>
        <translation>工作列表(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Reading and scoring</source>
        <translation>阅读与评分(&amp;R)</translation>
    </message>
    <message>
        <source>My &amp;overview</source>
        <translation>我的评分总览(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>界面语言(&amp;L)</translation>
    </message>
    <message>
        <source>Reading and scoring</source>
        <translation>阅读与评分</translation>
    </message>
    <message>
        <source>My overview</source>
        <translation>我的评分总览</translation>
    </message>
    <message>
        <source>Choose an application in the work list (F8: the next incomplete one).</source>
        <translation>请在工作列表中选择一份申报（F8：下一个未完成的申报）。</translation>
    </message>
    <message>
        <source>qbdesk — expert review — {round} ({year}) — {expert}</source>
        <translation>qbdesk — 评审专家工作台 — {round}（{year}）— {expert}</translation>
    </message>
    <message>
        <source>Finalised: score file sequence {sequence}. To change anything, reopen for correction.</source>
        <translation>已定稿：评分文件第 {sequence} 版。如需修改，请先重新打开以更正。</translation>
    </message>
    <message>
        <source>Changed since score file {sequence}: the next export will be a new file, sequence {next}.</source>
        <translation>第 {sequence} 版评分文件之后有改动：下次导出将是新的评分文件，第 {next} 版。</translation>
    </message>
    <message>
        <source>Not finalised yet.</source>
        <translation>尚未定稿。</translation>
    </message>
    <message>
        <source>You recused from {code}: {reason}
Application ▸ Withdraw the recusal, to score it after all.</source>
        <translation>您已回避申报 {code}：{reason}
如仍要评分，请用“申报”菜单中的“撤销回避”。</translation>
    </message>
    <message>
        <source>Every application is complete (or recused).</source>
        <translation>所有申报都已完成（或已回避）。</translation>
    </message>
    <message>
        <source>Finalised</source>
        <translation>已定稿</translation>
    </message>
    <message>
        <source>Your scores are finalised. Reopen for correction (Review menu) to change anything.</source>
        <translation>您的评分已定稿。如需修改，请先在“评审”菜单中重新打开以更正。</translation>
    </message>
    <message>
        <source>Recusal not recorded</source>
        <translation>未能记录回避</translation>
    </message>
    <message>
        <source>Recused from {code}.</source>
        <translation>已回避申报 {code}。</translation>
    </message>
    <message>
        <source>Recusal not withdrawn</source>
        <translation>未能撤销回避</translation>
    </message>
    <message>
        <source>Reopened for correction: the next export will be a new score file, sequence {next}, which replaces sequence {sequence}.</source>
        <translation>已重新打开以更正：下次导出将是新的评分文件，第 {next} 版，取代第 {sequence} 版。</translation>
    </message>
    <message>
        <source>Save my scorecards as PDF</source>
        <translation>把我的评分表存为 PDF</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF 文件 (*.pdf)</translation>
    </message>
    <message>
        <source>Saved {path}.</source>
        <translation>已保存 {path}。</translation>
    </message>
    <message>
        <source>Cannot remove the review</source>
        <translation>不能删除评审数据</translation>
    </message>
</context>
<context>
    <name>ScoreEdit</name>
    <message>
        <source>only digits and a decimal point can be typed here</source>
        <translation>此处只能输入数字和小数点</translation>
    </message>
    <message>
        <source>type a number</source>
        <translation>请输入数字</translation>
    </message>
    <message>
        <source>{value} is above the maximum {max} (the range is 0–{max})</source>
        <translation>{value} 超过最高分 {max}（范围为 0–{max}）</translation>
    </message>
    <message>
        <source>{value} is not a multiple of the step {step}</source>
        <translation>{value} 不是步长 {step} 的整数倍</translation>
    </message>
</context>
<context>
    <name>ScoreRow</name>
    <message>
        <source> — up to {max} points</source>
        <translation> —— 满分 {max} 分</translation>
    </message>
    <message>
        <source>0–{max}, step {step}</source>
        <translation>0–{max}，步长 {step}</translation>
    </message>
    <message>
        <source>Score for {name} (0 to {max}, step {step})</source>
        <translation>{name}的得分（0 至 {max}，步长 {step}）</translation>
    </message>
    <message>
        <source>Comment…</source>
        <translation>评语…</translation>
    </message>
    <message>
        <source>Add a comment on {name}</source>
        <translation>为{name}添加评语</translation>
    </message>
    <message>
        <source>Comment on the score for {name}</source>
        <translation>{name}得分的评语</translation>
    </message>
    <message>
        <source>Comment (why this score)</source>
        <translation>评语（给出此分的理由）</translation>
    </message>
    <message>
        <source>Not accepted: {why}</source>
        <translation>未接受：{why}</translation>
    </message>
    <message>
        <source>Bands for {name}</source>
        <translation>{name}的评分档次</translation>
    </message>
</context>
<context>
    <name>Scorecard</name>
    <message>
        <source>pass</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>fail</source>
        <translation>不通过</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>接受</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>不接受</translation>
    </message>
    <message>
        <source>Score file sequence {sequence}, finalised {at}</source>
        <translation>评分文件第 {sequence} 版，定稿于 {at}</translation>
    </message>
    <message>
        <source>(draft: not finalised since the last change)</source>
        <translation>（草稿：最近一次修改后尚未定稿）</translation>
    </message>
    <message>
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <source>Scorecard</source>
        <translation>评分表</translation>
    </message>
    <message>
        <source>Expert</source>
        <translation>评审专家</translation>
    </message>
    <message>
        <source>Criterion</source>
        <translation>评分项</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Score file digest</source>
        <translation>评分文件摘要</translation>
    </message>
    <message>
        <source>Expert key fingerprint</source>
        <translation>专家密钥指纹</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>专家签名</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>No application to print: every one is recused.</source>
        <translation>没有可打印的申报：全部已回避。</translation>
    </message>
    <message>
        <source>Print my scorecards</source>
        <translation>打印我的评分表</translation>
    </message>
</context>
<context>
    <name>ScoringPanel</name>
    <message>
        <source>Every change is saved at once</source>
        <translation>每次修改都会立即保存</translation>
    </message>
    <message>
        <source>Running total</source>
        <translation>当前总分</translation>
    </message>
    <message>
        <source>Criteria completed</source>
        <translation>已完成的评分项</translation>
    </message>
    <message>
        <source>Saved state</source>
        <translation>保存状态</translation>
    </message>
    <message>
        <source>Qualification check by the coordinator (read-only)</source>
        <translation>评审组织方资格审查结果（只读）</translation>
    </message>
    <message>
        <source>How this program is reviewed</source>
        <translation>本项目类别的评审方式</translation>
    </message>
    <message>
        <source>Verified program (核准类): you check the items and the gates against the evidence; the scores are not a competition between applications.</source>
        <translation>核准类项目：请对照证明材料逐项核对条目和资格条件；评分不用于申报之间的竞争排序。</translation>
    </message>
    <message>
        <source>Scored program (评审类): score each criterion against its bands; applications are ranked by their totals.</source>
        <translation>评审类项目：请按各评分项的档次打分；申报按总分排序。</translation>
    </message>
    <message>
        <source>Blind review: the applicant is not named in anything you see.</source>
        <translation>盲评：您看到的内容中不含申报单位名称。</translation>
    </message>
    <message>
        <source>Qualification check by the coordinator (read-only): {passed} of {count} passed</source>
        <translation>评审组织方资格审查（只读）：{count} 项中 {passed} 项通过</translation>
    </message>
    <message>
        <source>Total {total} / {max}</source>
        <translation>总分 {total} / {max}</translation>
    </message>
    <message>
        <source>{done} of {count} criteria complete</source>
        <translation>共 {count} 项，已完成 {done} 项</translation>
    </message>
    <message>
        <source>Saved {time}</source>
        <translation>已保存 {time}</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
    <message>
        <source>Not saved: {why}</source>
        <translation>未保存：{why}</translation>
    </message>
</context>
<context>
    <name>SlipCheck</name>
    <message>
        <source>Compare with your handover slip</source>
        <translation>与交接单核对</translation>
    </message>
    <message>
        <source>Before anything else, compare these two, character by character, with the handover slip the coordinator gave you in person. If anything differs, do not review: close the window and call the coordinator.</source>
        <translation>请先把以下两项与评审组织方当面交给您的交接单逐字核对。如有任何不一致，请不要评审：关闭窗口并联系评审组织方。</translation>
    </message>
    <message>
        <source>Round:</source>
        <translation>评审批次：</translation>
    </message>
    <message>
        <source>Coordinator key fingerprint</source>
        <translation>评审组织方密钥指纹</translation>
    </message>
    <message>
        <source>Coordinator key fingerprint:</source>
        <translation>评审组织方密钥指纹：</translation>
    </message>
    <message>
        <source>Snapshot digest</source>
        <translation>快照摘要</translation>
    </message>
    <message>
        <source>Snapshot digest (SHA-256):</source>
        <translation>快照摘要（SHA-256）：</translation>
    </message>
    <message>
        <source>Workspace folder:</source>
        <translation>工作区文件夹：</translation>
    </message>
    <message>
        <source>&amp;Both match the slip</source>
        <translation>两项都与交接单一致(&amp;B)</translation>
    </message>
    <message>
        <source>They &amp;differ</source>
        <translation>不一致(&amp;D)</translation>
    </message>
    <message>
        <source>Do not review with this snapshot: it is not the one on your slip. Close the window and call the coordinator.</source>
        <translation>请不要用此快照评审：它不是交接单上的快照。请关闭窗口并联系评审组织方。</translation>
    </message>
    <message>
        <source>{name} ({year}), expert {expert}, {count} applications</source>
        <translation>{name}（{year} 年），评审专家 {expert}，共 {count} 份申报</translation>
    </message>
</context>
<context>
    <name>StartWindow</name>
    <message>
        <source>qbdesk — expert review</source>
        <translation>qbdesk — 评审专家工作台</translation>
    </message>
    <message>
        <source>Expert review</source>
        <translation>专家评审</translation>
    </message>
    <message>
        <source>Open the snapshot (.qbsnap) the coordinator gave you on a USB stick. You will need the passphrase from your handover slip.</source>
        <translation>请打开评审组织方用U盘交给您的评审快照（.qbsnap）。需要用到交接单上的口令。</translation>
    </message>
    <message>
        <source>&amp;Open a snapshot…</source>
        <translation>打开评审快照(&amp;O)…</translation>
    </message>
    <message>
        <source>…or drop a .qbsnap file onto this window.</source>
        <translation>…或把 .qbsnap 文件拖放到此窗口。</translation>
    </message>
    <message>
        <source>&amp;Recent workspaces:</source>
        <translation>最近的工作区(&amp;R)：</translation>
    </message>
    <message>
        <source>Recent workspaces</source>
        <translation>最近的工作区</translation>
    </message>
    <message>
        <source>The review was removed from this computer ({count} files and folders).</source>
        <translation>评审数据已从本机删除（{count} 个文件和文件夹）。</translation>
    </message>
    <message>
        <source>Open a snapshot</source>
        <translation>打开评审快照</translation>
    </message>
    <message>
        <source>Snapshots (*.qbsnap)</source>
        <translation>评审快照 (*.qbsnap)</translation>
    </message>
    <message>
        <source>{path} is not a file.</source>
        <translation>{path} 不是文件。</translation>
    </message>
    <message>
        <source>The passphrase of {file} (on your handover slip). Case, spaces and hyphens do not matter.</source>
        <translation>{file} 的口令（见交接单）。大小写、空格和连字符不影响。</translation>
    </message>
    <message>
        <source>Opening the workspace…</source>
        <translation>正在打开工作区…</translation>
    </message>
    <message>
        <source>The passphrase of the workspace in {home}.</source>
        <translation>{home} 中工作区的口令。</translation>
    </message>
</context>
<context>
    <name>WorkList</name>
    <message>
        <source>Filter by program</source>
        <translation>按项目筛选</translation>
    </message>
    <message>
        <source>All programs</source>
        <translation>全部项目</translation>
    </message>
    <message>
        <source>Filter by state</source>
        <translation>按状态筛选</translation>
    </message>
    <message>
        <source>To review (not recused)</source>
        <translation>待评审（不含回避）</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>Work list</source>
        <translation>工作列表</translation>
    </message>
    <message>
        <source>{total} applications: {done} complete, {started} in progress, {new} not started, {recused} recused</source>
        <translation>共 {total} 份申报：已完成 {done}，进行中 {started}，未开始 {new}，回避 {recused}</translation>
    </message>
</context>
<context>
    <name>WorkListModel</name>
    <message>
        <source>not started</source>
        <translation>未开始</translation>
    </message>
    <message>
        <source>in progress</source>
        <translation>进行中</translation>
    </message>
    <message>
        <source>complete</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>recused</source>
        <translation>已回避</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Program</source>
        <translation>项目</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>{code}, {program}, {state}, {done} of {total} done</source>
        <translation>{code}，{program}，{state}，已完成 {done}/{total}</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Could not open the database {url}:
{reason}</source>
        <translation>无法打开数据库 {url}：
{reason}</translation>
    </message>
    <message>
        <source>(default)</source>
        <translation>（默认）</translation>
    </message>
</context>
</TS>
