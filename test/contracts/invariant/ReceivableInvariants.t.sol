// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";

import {Receivable, ReceivableState} from "../../../contracts/interfaces/IReceivableRegistry.sol";
import {ReceivableDeployment} from "../utils/ReceivableDeployment.sol";
import {ReceivableActors, ReceivableHandler} from "./ReceivableHandler.t.sol";

/// @notice System invariants of the receivable registry under random lifecycles (see {ReceivableHandler}).
/// @dev To run this file alone, name the handler's file too:
/// `npx hardhat test solidity test/contracts/invariant/ReceivableInvariants.t.sol test/contracts/invariant/ReceivableHandler.t.sol`.
contract ReceivableInvariantTest is Test, ReceivableDeployment {
    ReceivableHandler private handler;

    function setUp() public {
        vm.warp(1_750_000_000);
        _deployRegistry();
        address[] memory holders = new address[](5);
        (holders[0], holders[1], holders[2], holders[3], holders[4]) = (supplier, tier2, tier3, financier, financier2);
        address[] memory financiers = new address[](2);
        (financiers[0], financiers[1]) = (financier, financier2);
        uint256[] memory keys = new uint256[](2);
        (keys[0], keys[1]) = (FINANCIER_KEY, FINANCIER2_KEY);
        handler = new ReceivableHandler(
            registry,
            token,
            kyc,
            ReceivableActors({
                debtor: debtor,
                arbiter: arbiter,
                compliance: compliance,
                holders: holders,
                financiers: financiers,
                financierKeys: keys
            })
        );
        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = ReceivableHandler.issue.selector;
        selectors[1] = ReceivableHandler.split.selector;
        selectors[2] = ReceivableHandler.transfer.selector;
        selectors[3] = ReceivableHandler.finance.selector;
        selectors[4] = ReceivableHandler.repay.selector;
        selectors[5] = ReceivableHandler.warp.selector;
        selectors[6] = ReceivableHandler.markOverdue.selector;
        selectors[7] = ReceivableHandler.declareDefault.selector;
        selectors[8] = ReceivableHandler.toggleFreeze.selector;
        selectors[9] = ReceivableHandler.claim.selector;
        // issues, splits and repayments weigh double
        selectors[10] = ReceivableHandler.issue.selector;
        selectors[11] = ReceivableHandler.split.selector;
        selectors[12] = ReceivableHandler.repay.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice The parts of any split receivable sum to exactly its face value.
    function invariant_partsSumToTheirParentsFaceValue() public view {
        for (uint256 i; i < handler.idCount(); ++i) {
            uint256 id = handler.ids(i);
            Receivable memory r = registry.receivableOf(id);
            if (r.state != ReceivableState.Split) continue;
            uint256 sum;
            for (uint256 k; k < r.partCount; ++k) {
                Receivable memory part = registry.receivableOf(registry.partIdOf(id, k));
                assertEq(part.parent, id, "lineage");
                assertEq(part.root, r.root, "root");
                sum += part.faceValue;
            }
            assertEq(sum, r.faceValue, "parts sum");
        }
    }

    /// @notice Repayments pay out exactly what the debtor paid (face value plus late fees) to holders or claims;
    /// no part is ever paid more principal than its face value, and a repaid part got all of it.
    function invariant_repaymentsPayExactlyWhatIsOwed() public view {
        assertEq(handler.ghostBadRepayments(), 0, "a repayment's flows did not match");
        assertEq(handler.ghostDebtorPaid(), handler.ghostHoldersReceived(), "debtor paid != holders received");
        for (uint256 i; i < handler.idCount(); ++i) {
            Receivable memory r = registry.receivableOf(handler.ids(i));
            assertLe(r.principalPaid, r.faceValue, "overpaid principal");
            if (r.state == ReceivableState.Repaid) assertEq(r.principalPaid, r.faceValue, "repaid short");
        }
    }

    /// @notice No receivable is financed twice, neither itself nor through any ancestor.
    function invariant_noReceivableIsFinancedTwice() public view {
        for (uint256 i; i < handler.idCount(); ++i) {
            uint256 id = handler.ids(i);
            uint256 count;
            for (uint256 node = id; node != 0; node = registry.receivableOf(node).parent) {
                count += handler.financeCount(node);
            }
            assertLe(count, 1, "financed twice along a lineage");
            if (count == 1) assertTrue(registry.receivableOf(id).financed, "financed flag lost");
        }
    }

    /// @notice The registry's token balance equals the open claims: it holds nothing it does not owe.
    function invariant_balanceEqualsOpenClaims() public view {
        address[] memory holders = handler.holders();
        uint256 claims;
        for (uint256 i; i < holders.length; ++i) {
            claims += registry.claimable(address(token), holders[i]);
        }
        assertEq(token.balanceOf(address(registry)), claims, "balance != claims");
    }

    /// @notice The campaign reached the interesting transitions (a guard against a vacuous run).
    function afterInvariant() public view {
        assertGt(handler.calls("repay"), 0);
        assertGt(handler.idCount(), 0);
    }
}
