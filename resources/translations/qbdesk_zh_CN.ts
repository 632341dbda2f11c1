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
